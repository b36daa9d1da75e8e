//! The rule: a pure function over the pod view.

use policy_helpers::prelude::*;

use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Rejects `windowsOptions.hostProcess: true` on the pod and on every in-scope container. A
/// HostProcess pod must also set `spec.hostNetwork: true` (the API server requires it); when
/// it does, the message says so, since the pod then shares the node's network as well.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let mut findings = Findings::new();
    let (mut checked, mut inherits) = (false, false);
    for c in pod.checked_containers(&ctx.exemptions) {
        checked = true;
        let own = c
            .container
            .security_context
            .as_ref()
            .and_then(|s| s.windows_options.as_ref())
            .and_then(|w| w.host_process);
        match own {
            Some(true) => findings.container(
                &c,
                format!(
                    "runs as a Windows HostProcess container ({}.securityContext.windowsOptions.hostProcess=true)",
                    c.path()
                ),
            ),
            Some(false) => {}
            None => inherits = true,
        }
    }
    let pod_level = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.windows_options.as_ref())
        .and_then(|w| w.host_process);
    if pod_level == Some(true) && checked && (!pod.ephemeral_only || inherits) {
        findings.object(format!(
            "runs its containers as Windows HostProcess containers ({}.securityContext.windowsOptions.hostProcess=true)",
            pod.spec_path()
        ));
    }
    if !findings.is_empty() && pod.spec.host_network == Some(true) && !pod.ephemeral_only {
        findings.object(format!(
            "sets {}.hostNetwork=true for its HostProcess containers (they share the node's network)",
            pod.spec_path()
        ));
    }
    findings.into_verdict()
}
