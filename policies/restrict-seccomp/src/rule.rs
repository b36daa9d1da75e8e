//! The rule: a pure function over the pod view.

use policy_helpers::prelude::*;

use policy_helpers::mutate::Mutation;
use policy_helpers::pod::{ContainerRef, PodObject};
use policy_helpers::pss::{Level, ProfileField, container_profiles, is_windows, pod_profiles};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Mutated, Request, Verdict};

use crate::settings::Settings;

/// Checks every seccomp profile set for the pod and its in-scope containers (field and legacy
/// annotation alike), then, at the `restricted` level, that every container runs with one.
/// With `defaultToRuntimeDefault`, containers without any profile are given `RuntimeDefault`
/// instead of being rejected.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let s = &ctx.settings;
    let policy = s.profiles().unwrap_or_default();
    let pod_level = match pod_profiles(&pod, ProfileField::Seccomp) {
        Ok(p) => p,
        Err(e) => return Verdict::cannot_read(e),
    };
    let windows = is_windows(&pod);

    let mut findings = Findings::new();
    let mut missing: Vec<ContainerRef<'_>> = Vec::new();
    let (mut checked, mut inherits) = (false, false);
    for c in pod.checked_containers(&ctx.exemptions) {
        checked = true;
        let own = match container_profiles(&pod, &c, ProfileField::Seccomp) {
            Ok(o) => o,
            Err(e) => return Verdict::cannot_read(e),
        };
        for p in &own {
            if let Some(d) = policy.check(p) {
                findings.container(&c, d);
            }
        }
        if own.is_empty() {
            inherits = true;
            if pod_level.is_empty() && !windows {
                missing.push(c);
            }
        }
    }
    // The pod-level profile is checked once, as the object's; through the ephemeral-containers
    // subresource only when an added container inherits it.
    if checked && (!pod.ephemeral_only || inherits) {
        for p in &pod_level {
            if let Some(d) = policy.check(p) {
                findings.object(d);
            }
        }
    }
    if missing.is_empty() {
        return findings.into_verdict();
    }
    if s.default_to_runtime_default {
        if !findings.is_empty() {
            return findings.into_verdict();
        }
        return default_profiles(req, &missing);
    }
    if s.level == Level::Restricted {
        for c in &missing {
            findings.container(
                c,
                "runs without a seccomp profile: set securityContext.seccompProfile.type to \
                 RuntimeDefault or Localhost on the container or the pod",
            );
        }
    }
    findings.into_verdict()
}

const PROFILE_TYPE: [&str; 3] = ["securityContext", "seccompProfile", "type"];

/// Sets `RuntimeDefault` on the containers that run without any profile, keeping every other
/// field as it was; one warning names them all.
fn default_profiles(req: &Request<'_>, missing: &[ContainerRef<'_>]) -> Verdict {
    let Ok(Some(mut m)) = Mutation::from_request(req) else {
        return Verdict::unreadable("cannot be read as JSON for defaulting");
    };
    for c in missing {
        if !m.set_default(c, &PROFILE_TYPE, "RuntimeDefault".into()) {
            return Verdict::unreadable(format!("the object has no {}", c.path()));
        }
    }
    let mut names = String::new();
    for (i, c) in missing.iter().enumerate() {
        if i > 0 {
            names.push_str(", ");
        }
        names.push_str(&c.subject());
    }
    Verdict::Mutate {
        object: Mutated::new(&m.into_object()),
        warnings: vec![format!(
            "restrict-seccomp set securityContext.seccompProfile.type=RuntimeDefault on {names}"
        )],
    }
}
