//! The rule: a pure function over the pod view.

use policy_helpers::prelude::*;

use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Rejects a pod spec that sets `hostPID` or `hostIPC` to `true` (unless allowed), or, with
/// `denyShareProcessNamespace`, `shareProcessNamespace: true`. These are pod-level fields: through
/// the `pods/ephemeralcontainers` subresource nothing but ephemeral containers can change, so
/// such requests are accepted (the pod was checked when it was created).
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    if pod.ephemeral_only {
        return Verdict::accept();
    }
    let s = &ctx.settings;
    let spec = &pod.spec;
    let at = pod.spec_path();
    let mut findings = Findings::new();
    if spec.host_pid == Some(true) && !s.allow_host_pid {
        findings.object(format!(
            "sets {at}.hostPID=true (the node's process namespace: every process on the node is visible and can be signalled)"
        ));
    }
    if spec.host_ipc == Some(true) && !s.allow_host_ipc {
        findings.object(format!(
            "sets {at}.hostIPC=true (the node's IPC namespace: shared memory of host processes is reachable)"
        ));
    }
    if spec.share_process_namespace == Some(true) && s.deny_share_process_namespace {
        findings.object(format!(
            "sets {at}.shareProcessNamespace=true (containers of the pod see and can signal each other's processes)"
        ));
    }
    findings.into_verdict()
}
