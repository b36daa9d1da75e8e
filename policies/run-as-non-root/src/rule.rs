//! The rule: a pure function over the pod view.
//!
//! Effective values resolve container over pod. A value set at the pod level is reported once,
//! at the pod's field path; the containers inheriting it are not repeated. Through
//! `pods/ephemeralcontainers` the pod's own fields cannot change, so there the ephemeral
//! containers are reported with the pod-level value they inherit.

use policy_helpers::prelude::*;

use policy_helpers::mutate::default_unless_rejected;
use policy_helpers::pod::{ContainerRef, Effective, Level, PodObject};
use policy_helpers::ranges::{Range, any_contains, show_all};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{GroupRule, GroupSettings, Settings, UserRule};

const RUN_AS_NON_ROOT: [&str; 2] = ["securityContext", "runAsNonRoot"];

/// `sets securityContext.runAsUser=0` or `inherits spec.securityContext.runAsUser=0`.
fn said<T: core::fmt::Debug>(e: &Effective<T>, field: &str) -> String {
    match e.level {
        Level::Container => format!("sets securityContext.{field}={:?}", e.value),
        Level::Pod => format!("inherits {}={:?}", e.path, e.value),
    }
}

/// Whether a container finding about `e` is due: container-level values always, pod-level
/// ones only where the pod level is not reported itself (the subresource).
fn due<T>(e: &Effective<T>, pod: &PodObject) -> bool {
    e.level == Level::Container || pod.ephemeral_only
}

fn ranges_text(ranges: &[Range]) -> String {
    show_all(ranges)
}

/// Pod-level findings: `runAsUser`, `runAsGroup`, `supplementalGroups`, `fsGroup` and the
/// Windows user name of the pod's `securityContext`.
fn pod_level(pod: &PodObject, s: &Settings, denied: &[String], f: &mut Findings) {
    let Some(psc) = pod.spec.security_context.as_ref() else {
        return;
    };
    let at = format!("{}.securityContext", pod.spec_path());
    let u = &s.run_as_user;
    if u.rule != UserRule::RunAsAny
        && let Some(v) = psc.run_as_user
    {
        if v == 0 {
            f.object(format!("sets {at}.runAsUser=0 (root)"));
        } else if !u.ranges.is_empty() && !any_contains(&u.ranges, v) {
            f.object(format!(
                "sets {at}.runAsUser={v}, outside the allowed user ranges {}",
                ranges_text(&u.ranges)
            ));
        }
    }
    let g = &s.run_as_group;
    if g.rule != GroupRule::RunAsAny
        && let Some(v) = psc.run_as_group
        && !any_contains(&g.ranges, v)
    {
        f.object(format!(
            "sets {at}.runAsGroup={v}, outside the allowed group ranges {}",
            ranges_text(&g.ranges)
        ));
    }
    let sg = &s.supplemental_groups;
    if sg.rule == GroupRule::MustRunAs && psc.supplemental_groups.is_empty() {
        f.object(format!(
            "does not set {at}.supplementalGroups (rule MustRunAs: {})",
            ranges_text(&sg.ranges)
        ));
    }
    if sg.rule != GroupRule::RunAsAny {
        for (i, v) in psc.supplemental_groups.iter().enumerate() {
            if !any_contains(&sg.ranges, *v) {
                f.object(format!(
                    "sets {at}.supplementalGroups[{i}]={v}, outside the allowed ranges {}",
                    ranges_text(&sg.ranges)
                ));
            }
        }
    }
    check_pod_group(&at, "fsGroup", psc.fs_group, &s.fs_group, f);
    if let Some(name) = psc
        .windows_options
        .as_ref()
        .and_then(|w| w.run_as_user_name.as_deref())
        && denied.iter().any(|d| d.eq_ignore_ascii_case(name))
    {
        f.object(format!(
            "sets {at}.windowsOptions.runAsUserName={name:?} (the container's administrator)"
        ));
    }
}

fn check_pod_group(at: &str, field: &str, v: Option<i64>, g: &GroupSettings, f: &mut Findings) {
    match (g.rule, v) {
        (GroupRule::RunAsAny, _) | (GroupRule::MayRunAs, None) => {}
        (GroupRule::MustRunAs, None) => f.object(format!(
            "does not set {at}.{field} (rule MustRunAs: {})",
            ranges_text(&g.ranges)
        )),
        (_, Some(v)) if !any_contains(&g.ranges, v) => f.object(format!(
            "sets {at}.{field}={v}, outside the allowed ranges {}",
            ranges_text(&g.ranges)
        )),
        _ => {}
    }
}

/// The user checks of one container; returns whether `runAsNonRoot` is unset and fixable.
fn check_user(pod: &PodObject, c: &ContainerRef<'_>, s: &Settings, f: &mut Findings) -> bool {
    let u = &s.run_as_user;
    if u.rule == UserRule::RunAsAny {
        return false;
    }
    let user = pod.effective_run_as_user(c);
    let root = user.as_ref().is_some_and(|e| e.value == 0);
    if let Some(e) = &user
        && due(e, pod)
    {
        if e.value == 0 {
            f.container(c, format!("{} (root)", said(e, "runAsUser")));
        } else if !u.ranges.is_empty() && !any_contains(&u.ranges, e.value) {
            f.container(
                c,
                format!(
                    "{}, outside the allowed user ranges {}",
                    said(e, "runAsUser"),
                    ranges_text(&u.ranges)
                ),
            );
        }
    }
    if user.is_none() && u.rule == UserRule::MustRunAs {
        f.container(
            c,
            format!(
                "does not set runAsUser (rule MustRunAs: {})",
                ranges_text(&u.ranges)
            ),
        );
    }
    if u.rule != UserRule::MustRunAsNonRoot {
        return false;
    }
    match pod.effective_run_as_non_root(c) {
        Some(e) if e.value => false,
        Some(e) => {
            f.container(c, said(&e, "runAsNonRoot"));
            false
        }
        None if root => false,
        None if u.accept_non_zero_user && user.is_some_and(|e| e.value > 0) => false,
        None if s.mutate => true,
        None => {
            f.container(
                c,
                format!(
                    "does not set runAsNonRoot=true (neither securityContext.runAsNonRoot nor {}.securityContext.runAsNonRoot)",
                    pod.spec_path()
                ),
            );
            false
        }
    }
}

/// The group and Windows checks of one container.
fn check_container_rest(
    pod: &PodObject,
    c: &ContainerRef<'_>,
    s: &Settings,
    denied: &[String],
    f: &mut Findings,
) {
    let g = &s.run_as_group;
    match pod.effective_run_as_group(c) {
        None if g.rule == GroupRule::MustRunAs => f.container(
            c,
            format!(
                "does not set runAsGroup (rule MustRunAs: {})",
                ranges_text(&g.ranges)
            ),
        ),
        Some(e)
            if g.rule != GroupRule::RunAsAny
                && !any_contains(&g.ranges, e.value)
                && due(&e, pod) =>
        {
            f.container(
                c,
                format!(
                    "{}, outside the allowed group ranges {}",
                    said(&e, "runAsGroup"),
                    ranges_text(&g.ranges)
                ),
            );
        }
        _ => {}
    }
    if let Some(e) = pod.effective_run_as_user_name(c)
        && denied.iter().any(|d| d.eq_ignore_ascii_case(&e.value))
        && due(&e, pod)
    {
        f.container(
            c,
            format!(
                "{} (the container's administrator)",
                said(&e, "windowsOptions.runAsUserName")
            ),
        );
    }
}

/// Rejects containers that may run as root: effective `runAsNonRoot` not `true` (rule
/// `MustRunAsNonRoot`), `runAsUser: 0` at either level, ids outside the configured ranges, a
/// denied Windows `runAsUserName`. In the defaulting mode an unset `runAsNonRoot` is set to
/// `true` on the container instead.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let s = &ctx.settings;
    let denied = s.windows_denied();
    let mut f = Findings::new();
    if !pod.ephemeral_only {
        pod_level(&pod, s, &denied, &mut f);
    }
    let mut unset = Vec::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        if check_user(&pod, &c, s, &mut f) {
            unset.push(c);
        }
        check_container_rest(&pod, &c, s, &denied, &mut f);
    }
    default_unless_rejected(req, f, !unset.is_empty(), |m| {
        for c in &unset {
            m.set_default(c, &RUN_AS_NON_ROOT, true.into());
        }
    })
}
