//! The rule: a pure function over the pod view. Every container, init container and ephemeral
//! container of every pod-bearing kind is checked, each finding naming its field path.

use policy_helpers::prelude::*;

use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Rejects every in-scope container (image exemptions applied) whose `env` defines a name of
/// `deniedEnvNames`. A malformed `env` is rejected with code 400 and its path.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let denied = &ctx.settings.denied_env_names;
    let mut findings = Findings::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        let env = match c.env() {
            Ok(env) => env,
            Err(e) => return Verdict::cannot_read(e),
        };
        for (i, var) in env.iter().enumerate() {
            if denied.contains(&var.name) {
                findings.container(
                    &c,
                    format!(
                        "sets environment variable {:?} ({}.env[{i}].name), which deniedEnvNames denies",
                        var.name,
                        c.path()
                    ),
                );
            }
        }
    }
    findings.into_verdict()
}
