//! The rule: a pure function over the pod view.

use policy_helpers::prelude::*;

use policy_helpers::hostpath::{is_at_or_under, normalise};
use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{Prefix, Settings};

/// What the allow-list says about one volume's host path.
enum Allowed {
    /// Under no prefix (or not a valid path): the reason.
    No(String),
    /// Under a prefix; `true` when some matching prefix allows writable mounts.
    Yes { writable: bool },
}

fn judge(path: &str, prefixes: &[Prefix]) -> Allowed {
    let n = match normalise(path) {
        Ok(n) => n,
        Err(e) => return Allowed::No(format!("hostPath.path {e}")),
    };
    let mut matched = prefixes
        .iter()
        .filter(|p| is_at_or_under(&n, &p.path))
        .peekable();
    if matched.peek().is_none() {
        let allowed = if prefixes.is_empty() {
            "no hostPath volume is allowed".to_owned()
        } else {
            let list: Vec<String> = prefixes
                .iter()
                .map(|p| {
                    if p.read_only {
                        format!("{} (read-only)", p.path)
                    } else {
                        p.path.clone()
                    }
                })
                .collect();
            format!("allowed: {}", list.join(", "))
        };
        return Allowed::No(format!(
            "uses host path {path:?} (hostPath.path), not under an allowed prefix; {allowed}"
        ));
    }
    Allowed::Yes {
        writable: matched.any(|p| !p.read_only),
    }
}

/// Rejects `hostPath` volumes whose path is not under an allowed prefix (by component, `..`
/// refused), and writable mounts (in any checked container) of volumes whose matching prefixes
/// are all read-only. A volume mounted only by containers with exempt images is skipped.
/// Through `pods/ephemeralcontainers` the volumes cannot change: only the ephemeral
/// containers' mounts are checked there.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let prefixes = match ctx.settings.prefixes() {
        Ok(p) => p,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    let mounts = match pod.mounts(&ctx.exemptions) {
        Ok(m) => m,
        Err(e) => return Verdict::cannot_read(e),
    };
    let volumes = match pod.volumes() {
        Ok(v) => v,
        Err(e) => return Verdict::cannot_read(e),
    };
    let mut findings = Findings::new();
    for (vi, v) in volumes.iter().enumerate() {
        let Some(hp) = &v.host_path else { continue };
        if mounts.only_exempt_mounts(&v.name) {
            continue;
        }
        let verdict = judge(&hp.path, &prefixes);
        if let Allowed::No(why) = &verdict
            && !pod.ephemeral_only
        {
            findings.object(format!(
                "volume {:?} ({}.volumes[{vi}]) {why}",
                v.name,
                pod.spec_path()
            ));
            continue;
        }
        for (c, ms) in &mounts.checked {
            for (mi, m) in ms.iter().enumerate() {
                if m.name != v.name {
                    continue;
                }
                match verdict {
                    Allowed::No(_) => findings.container(
                        c,
                        format!(
                            "mounts hostPath volume {:?} (volumeMounts[{mi}]) whose host path {:?} is not allowed",
                            v.name, hp.path
                        ),
                    ),
                    Allowed::Yes { writable: false } if m.read_only != Some(true) => findings
                        .container(
                            c,
                            format!(
                                "mounts hostPath volume {:?} writable (volumeMounts[{mi}], mountPath {:?}); host path {:?} is allowed read-only only: set readOnly: true",
                                v.name, m.mount_path, hp.path
                            ),
                        ),
                    Allowed::Yes { .. } => {}
                }
            }
        }
    }
    findings.into_verdict()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefixes(list: &[(&str, bool)]) -> Vec<Prefix> {
        list.iter()
            .map(|(p, ro)| Prefix {
                path: normalise(p).unwrap(),
                read_only: *ro,
            })
            .collect()
    }

    #[test]
    fn component_prefixes_and_read_only() {
        let p = prefixes(&[("/var", true), ("/var/log", false)]);
        assert!(matches!(
            judge("/var/log/x", &p),
            Allowed::Yes { writable: true }
        ));
        assert!(matches!(
            judge("/var/lib", &p),
            Allowed::Yes { writable: false }
        ));
        assert!(matches!(judge("/variable", &p), Allowed::No(_)));
        assert!(matches!(
            judge("//var//log/", &p),
            Allowed::Yes { writable: true }
        ));
        let Allowed::No(why) = judge("/var/../etc", &p) else {
            panic!("`..` accepted")
        };
        assert!(why.contains("`..`"), "{why}");
        let Allowed::No(why) = judge("/etc", &[]) else {
            panic!("accepted with no prefixes")
        };
        assert!(why.ends_with("no hostPath volume is allowed"), "{why}");
    }
}
