//! The rule: literal environment values (and optionally arguments) of every in-scope container
//! run through the shared secret detectors; sensitive names carrying a literal are findings too.
//! No message ever contains a value: the variable, the field path and the detector are named,
//! the value is described by its length.

use policy_helpers::prelude::*;

use policy_helpers::pod::{ContainerRef, PodObject};
use policy_helpers::request::ObjectError;
use policy_helpers::secrets::{self, Scanner};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

const FIX: &str = "use valueFrom.secretKeyRef, a secret volume or a Key Vault CSI volume";

/// Rejects literal secrets in `env[].value` (and `command`/`args` when `scanArgs`) of every
/// in-scope container whose image is not exempt.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let s = &ctx.settings;
    let scanner = match s.scanner() {
        Ok(sc) => sc,
        Err(e) => return Verdict::unreadable(format!("has invalid settings: {e}")),
    };
    let mut findings = Findings::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        let env = match c.env() {
            Ok(env) => env,
            Err(e) => return Verdict::cannot_read(e),
        };
        for (i, var) in env.iter().enumerate() {
            let Some(value) = var.value.as_deref() else {
                continue;
            };
            let path = format!("{}.env[{i}].value", c.path());
            if let Some(d) = s.scan_values.then(|| scanner.scan(value)).flatten() {
                findings.container(
                    &c,
                    format!(
                        "sets env {:?} ({path}) to a literal secret (detector {}, {}); {FIX}",
                        var.name,
                        d.id(),
                        secrets::mask(value)
                    ),
                );
            } else if let Some(pattern) = scanner.names.sensitive(&var.name)
                && secrets::could_be_credential(value)
            {
                findings.container(
                    &c,
                    format!(
                        "sets env {:?} ({path}), a sensitive name (matches {pattern}), to a literal (detector sensitive-name, {}); {FIX}",
                        var.name,
                        secrets::mask(value)
                    ),
                );
            }
        }
        if s.scan_args
            && let Err(e) = scan_args(&c, &scanner, &mut findings)
        {
            return Verdict::cannot_read(e);
        }
    }
    findings.into_verdict()
}

fn scan_args(
    c: &ContainerRef<'_>,
    scanner: &Scanner,
    findings: &mut Findings,
) -> Result<(), ObjectError> {
    let lists = [("command", c.command()?), ("args", c.args()?)];
    for (field, list) in lists {
        for (i, arg) in list.iter().enumerate() {
            let path = format!("{}.{field}[{i}]", c.path());
            if let Some(d) = scanner.scan(arg) {
                findings.container(
                    c,
                    format!(
                        "passes a literal secret in {path} (detector {}, {}); {FIX}",
                        d.id(),
                        secrets::mask(arg)
                    ),
                );
                continue;
            }
            // `--password hunter2`: a sensitive flag followed by a literal.
            if arg.starts_with('-')
                && !arg.contains('=')
                && let Some(pattern) = scanner.names.sensitive(arg)
                && let Some(next) = list.get(i + 1)
                && !next.starts_with('-')
                && secrets::could_be_credential(next)
            {
                findings.container(
                    c,
                    format!(
                        "passes a literal after the sensitive flag {arg:?} (matches {pattern}) in {}.{field}[{}] (detector sensitive-name, {}); {FIX}",
                        c.path(),
                        i + 1,
                        secrets::mask(next)
                    ),
                );
            }
        }
    }
    Ok(())
}
