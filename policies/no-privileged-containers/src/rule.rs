//! The rule: a pure function over the pod view; the check itself is the PSS one
//! ([`policy_helpers::pss::is_privileged`]), shared with `pss::container_checks`.

use policy_helpers::pod::PodObject;
use policy_helpers::pss::is_privileged;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Rejects every in-scope container (image exemptions applied) whose
/// `securityContext.privileged` is `true`.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let mut findings = Findings::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        if is_privileged(&c) {
            findings.container(&c, "sets securityContext.privileged=true");
        }
    }
    findings.into_verdict()
}
