//! The rule: a pure function over the pod view.

use policy_helpers::pod::PodObject;
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
        let privileged = c
            .container
            .security_context
            .as_ref()
            .and_then(|s| s.privileged);
        if privileged == Some(true) {
            findings.container(&c, "sets securityContext.privileged=true");
        }
    }
    findings.into_verdict()
}
