//! The rule: a pure function over the pod view.

use policy_helpers::prelude::*;

use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Rejects every in-scope container whose `securityContext.procMount` is set to anything but
/// `Default` (`Unmasked` only as the settings allow it).
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let s = &ctx.settings;
    let user_namespace = pod.spec.host_users == Some(false);
    let unmasked_ok = s.allow_unmasked || (s.allow_unmasked_in_user_namespace && user_namespace);
    let mut findings = Findings::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        let Some(pm) = c
            .container
            .security_context
            .as_ref()
            .and_then(|s| s.proc_mount.as_deref())
        else {
            continue;
        };
        let detail = match pm {
            "Default" => continue,
            "Unmasked" if unmasked_ok => continue,
            "Unmasked" if s.allow_unmasked_in_user_namespace => format!(
                "sets {}.securityContext.procMount=Unmasked outside a user namespace \
                 (allowed only with spec hostUsers=false)",
                c.path()
            ),
            "Unmasked" => format!(
                "sets {}.securityContext.procMount=Unmasked (allowed: Default)",
                c.path()
            ),
            other => format!(
                "sets {}.securityContext.procMount={other:?}, which is not a proc mount type \
                 (allowed: Default)",
                c.path()
            ),
        };
        findings.container(&c, detail);
    }
    findings.into_verdict()
}
