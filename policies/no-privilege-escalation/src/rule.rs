//! The rule: a pure function over the pod view.

use policy_helpers::prelude::*;

use policy_helpers::capabilities::normalise;
use policy_helpers::mutate::default_unless_rejected;
use policy_helpers::pod::{ContainerRef, PodObject};
use policy_helpers::pss::is_privileged;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

const FIELD: [&str; 2] = ["securityContext", "allowPrivilegeEscalation"];

/// What is wrong with one container that no defaulting can fix: privileged, `SYS_ADMIN` (or
/// `ALL`) added, or an explicit `allowPrivilegeEscalation: true`.
fn blockers(c: &ContainerRef<'_>, findings: &mut Findings) -> bool {
    let Some(sc) = c.container.security_context.as_ref() else {
        return false;
    };
    let mut blocked = false;
    if is_privileged(c) {
        findings.container(
            c,
            "sets securityContext.privileged=true, which always allows privilege escalation",
        );
        blocked = true;
    }
    let added = sc.capabilities.as_ref().map(|k| k.add.as_slice());
    for (i, cap) in added.unwrap_or_default().iter().enumerate() {
        let n = normalise(cap);
        if n == "SYS_ADMIN" || n == "ALL" {
            findings.container(
                c,
                format!(
                    "adds capability {n} (securityContext.capabilities.add[{i}]={cap:?}), which always allows privilege escalation"
                ),
            );
            blocked = true;
        }
    }
    if sc.allow_privilege_escalation == Some(true) {
        findings.container(c, "sets securityContext.allowPrivilegeEscalation=true");
        blocked = true;
    }
    blocked
}

/// Rejects containers that are privileged, add `SYS_ADMIN`/`ALL`, set
/// `allowPrivilegeEscalation: true`, or (with `requireExplicitFalse`) leave it unset; in the
/// defaulting mode the unset field is set to `false` instead. Pods declaring `os.name: windows`
/// are accepted: the field cannot be set on them and Windows has no such escalation.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    if pod.spec.is_windows() {
        return Verdict::accept();
    }
    let s = &ctx.settings;
    let mut findings = Findings::new();
    let mut unset = Vec::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        let blocked = blockers(&c, &mut findings);
        let value = c
            .container
            .security_context
            .as_ref()
            .and_then(|sc| sc.allow_privilege_escalation);
        if value.is_none() && !blocked {
            if s.mutate {
                unset.push(c);
            } else if s.require_explicit_false {
                findings.container(
                    &c,
                    "does not set securityContext.allowPrivilegeEscalation=false (unset allows escalation)",
                );
            }
        }
    }
    default_unless_rejected(req, findings, !unset.is_empty(), |m| {
        for c in &unset {
            m.set_default(c, &FIELD, false.into());
        }
    })
}
