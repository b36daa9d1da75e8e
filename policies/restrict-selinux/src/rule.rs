//! The rule: a pure function over the pod view.

use policy_helpers::prelude::*;

use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Checks `seLinuxOptions` of the pod and of every in-scope container: `type` must be unset,
/// empty or allowed; `user` and `role` must be unset, empty or allowed. `level` (the MCS
/// categories) is not restricted, as in the PSS.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let policy = ctx.settings.policy();
    let mut findings = Findings::new();
    let (mut checked, mut inherits) = (false, false);
    let mut details = Vec::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        checked = true;
        let own = c
            .container
            .security_context
            .as_ref()
            .and_then(|s| s.se_linux_options.as_ref());
        match own {
            None => inherits = true,
            Some(o) => {
                let path = format!("{}.securityContext.seLinuxOptions", c.path());
                policy.check(o, &path, &mut details);
                for d in details.drain(..) {
                    findings.container(&c, d);
                }
            }
        }
    }
    let pod_level = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.se_linux_options.as_ref());
    if let Some(o) = pod_level
        && checked
        && (!pod.ephemeral_only || inherits)
    {
        let path = format!("{}.securityContext.seLinuxOptions", pod.spec_path());
        policy.check(o, &path, &mut details);
        for d in details.drain(..) {
            findings.object(d);
        }
    }
    findings.into_verdict()
}
