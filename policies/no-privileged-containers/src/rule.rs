//! The rule: a pure function over the pod view.

use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Rejects every in-scope container whose `securityContext.privileged` is `true`.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::from_request(req) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::unreadable(format!("cannot be read: {e}")),
    };
    let namespace = req.effective_namespace(&pod.metadata);
    if ctx
        .exemptions
        .exempts_service_account(namespace, pod.spec.service_account())
    {
        return Verdict::accept();
    }
    let mut findings = Findings::new();
    for c in pod.containers() {
        let privileged = c
            .container
            .security_context
            .as_ref()
            .and_then(|s| s.privileged)
            .unwrap_or(false);
        if !privileged {
            continue;
        }
        if let Some(image) = c.container.image.as_deref()
            && ctx.exemptions.exempts_image(image)
        {
            continue;
        }
        findings.container(&c, "sets securityContext.privileged=true");
    }
    findings.into_verdict()
}
