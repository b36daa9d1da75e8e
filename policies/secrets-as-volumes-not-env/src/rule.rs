//! The rule: no in-scope container reads a Secret through `env[].valueFrom.secretKeyRef` or
//! `envFrom[].secretRef`, unless the Secret's name is allowed.

use policy_helpers::prelude::*;

use policy_helpers::glob::Glob;
use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

const FIX: &str = "mount the Secret as a volume (or use a Key Vault CSI volume) and read the file";

/// Reports every Secret read into the environment of a container whose image is not exempt.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let allowed = match ctx.settings.allowed() {
        Ok(a) => a,
        Err(e) => return Verdict::unreadable(format!("has invalid settings: {e}")),
    };
    let is_allowed = |name: &str| allowed.iter().any(|g: &Glob| g.matches(name));
    let mut findings = Findings::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        let (env, env_from) = match (c.env(), c.env_from()) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => {
                return Verdict::cannot_read(e);
            }
        };
        for (i, var) in env.iter().enumerate() {
            let Some(r) = var
                .value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref())
            else {
                continue;
            };
            if is_allowed(&r.name) {
                continue;
            }
            findings.container(
                &c,
                format!(
                    "reads key {:?} of Secret {:?} into env {:?} ({}.env[{i}].valueFrom.secretKeyRef); {FIX}",
                    r.key,
                    r.name,
                    var.name,
                    c.path()
                ),
            );
        }
        for (i, from) in env_from.iter().enumerate() {
            let Some(r) = from.secret_ref.as_ref() else {
                continue;
            };
            if is_allowed(&r.name) {
                continue;
            }
            findings.container(
                &c,
                format!(
                    "reads every key of Secret {:?} into its environment ({}.envFrom[{i}].secretRef); {FIX}",
                    r.name,
                    c.path()
                ),
            );
        }
    }
    findings.into_verdict()
}
