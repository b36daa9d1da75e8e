//! The rule: a pure function over the pod view.

use policy_helpers::prelude::*;

use policy_helpers::mutate::default_unless_rejected;
use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

const FIELD: [&str; 2] = ["securityContext", "readOnlyRootFilesystem"];

/// Rejects every checked container whose `readOnlyRootFilesystem` is `false` or unset; in the
/// defaulting mode the unset field is set to `true` instead. Pods declaring `os.name: windows`
/// are accepted: the API server refuses the field on them.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    if pod.spec.is_windows() {
        return Verdict::accept();
    }
    let mut findings = Findings::new();
    let mut unset = Vec::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        let value = c
            .container
            .security_context
            .as_ref()
            .and_then(|sc| sc.read_only_root_filesystem);
        match value {
            Some(true) => {}
            Some(false) => {
                findings.container(&c, "sets securityContext.readOnlyRootFilesystem=false")
            }
            None if ctx.settings.mutate => unset.push(c),
            None => findings.container(
                &c,
                "does not set securityContext.readOnlyRootFilesystem=true (unset means writable)",
            ),
        }
    }
    default_unless_rejected(req, findings, !unset.is_empty(), |m| {
        for c in &unset {
            m.set_default(c, &FIELD, true.into());
        }
    })
}
