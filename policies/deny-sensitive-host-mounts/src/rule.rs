//! The rule: pure functions over the pod view and the PersistentVolume view.

use policy_helpers::prelude::*;

use policy_helpers::hostpath::{canonical_run, components, normalise};
use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{Denied, Settings};

/// Why a host path is sensitive, or `None`.
struct Hit {
    /// `is the denied path /etc`, `contains the denied paths /proc, /sys`, ...
    why: String,
    /// Every matching entry accepts read-only mounts.
    read_only_ok: bool,
}

fn judge(path: &str, denied: &[Denied]) -> Option<Hit> {
    let n = match normalise(path) {
        Ok(n) => canonical_run(&n),
        // `..` cannot be resolved without the node's file system: never accepted.
        Err(e) if e.contains("`..`") => {
            return Some(Hit {
                why: "has a `..` component, so where it leads cannot be checked".to_owned(),
                read_only_ok: false,
            });
        }
        // Relative (Windows) or empty paths name no Linux node path.
        Err(_) => return None,
    };
    let mut at = Vec::new();
    let mut under = Vec::new();
    let mut contains = Vec::new();
    let mut read_only_ok = true;
    for d in denied {
        let p = d.pattern.as_str();
        let list = if d.pattern.covers(&n) {
            if components(&n).count() == components(p).count() {
                &mut at
            } else {
                &mut under
            }
        } else if d.pattern.is_inside(&n) {
            &mut contains
        } else {
            continue;
        };
        list.push(p);
        read_only_ok &= d.allow_read_only;
    }
    let mut parts = Vec::new();
    for (list, one, many) in [
        (&at, "is the denied path", "is the denied paths"),
        (
            &under,
            "is under the denied path",
            "is under the denied paths",
        ),
        (
            &contains,
            "contains the denied path",
            "contains the denied paths",
        ),
    ] {
        if !list.is_empty() {
            let verb = if list.len() == 1 { one } else { many };
            parts.push(format!("{verb} {}", list.join(", ")));
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(Hit {
        why: parts.join(" and "),
        read_only_ok,
    })
}

policy_helpers::view! {
    #[derive(Default)]
    struct PathSource {
        path: Option<String> = "path",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct PvSpec {
        host_path: Option<PathSource> = "hostPath",
        local: Option<PathSource> = "local",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct PersistentVolume {
        spec: Option<PvSpec> = "spec",
    }
}

/// A `PersistentVolume` whose `hostPath` or `local` path is sensitive is rejected: nothing
/// makes its later mounts read-only, so `allowReadOnly` does not apply.
fn check_persistent_volume(req: &Request<'_>, denied: &[Denied]) -> Verdict {
    let pv = match req.object_as::<PersistentVolume>() {
        Ok(Some(pv)) => pv,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let spec = pv.spec.unwrap_or_default();
    let mut findings = Findings::new();
    for (field, src) in [("hostPath", &spec.host_path), ("local", &spec.local)] {
        let Some(path) = src.as_ref().and_then(|s| s.path.as_deref()) else {
            continue;
        };
        if let Some(hit) = judge(path, denied) {
            findings.object(format!(
                "spec.{field}.path {path:?} {} (a PersistentVolume cannot be limited to read-only mounts)",
                hit.why
            ));
        }
    }
    findings.into_verdict()
}

/// Rejects pod `hostPath` volumes at, under or above a denied path (`/var/run` read as
/// `/run`), unless every matching entry allows read-only and every checked mount is
/// `readOnly: true`; and sensitive `PersistentVolume` paths. A volume mounted only by
/// containers with exempt images is skipped. Through `pods/ephemeralcontainers` only the
/// ephemeral containers' mounts are checked.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let denied = match ctx.settings.denied() {
        Ok(d) => d,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    if req.kind.group.is_empty() && req.kind.kind == "PersistentVolume" {
        return check_persistent_volume(req, &denied);
    }
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
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
        let Some(hit) = judge(&hp.path, &denied) else {
            continue;
        };
        let writable: Vec<_> = mounts
            .checked
            .iter()
            .flat_map(|(c, ms)| {
                ms.iter()
                    .enumerate()
                    .filter(|(_, m)| m.name == v.name && m.read_only != Some(true))
                    .map(move |(mi, _)| (c, mi))
            })
            .collect();
        if hit.read_only_ok {
            for (c, mi) in writable {
                findings.container(
                    c,
                    format!(
                        "mounts hostPath volume {:?} writable (volumeMounts[{mi}]); host path {:?} {}, allowed read-only only: set readOnly: true",
                        v.name, hp.path, hit.why
                    ),
                );
            }
        } else if pod.ephemeral_only {
            for (c, ms) in &mounts.checked {
                if let Some(mi) = ms.iter().position(|m| m.name == v.name) {
                    findings.container(
                        c,
                        format!(
                            "mounts hostPath volume {:?} (volumeMounts[{mi}]) whose host path {:?} {}",
                            v.name, hp.path, hit.why
                        ),
                    );
                }
            }
        } else {
            findings.object(format!(
                "volume {:?} ({}.volumes[{vi}]) mounts host path {:?} (hostPath.path), which {}",
                v.name,
                pod.spec_path(),
                hp.path,
                hit.why
            ));
        }
    }
    findings.into_verdict()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    fn why(path: &str) -> Option<String> {
        let denied = Settings::default().denied().unwrap();
        judge(path, &denied).map(|h| h.why)
    }

    #[test]
    fn relations_to_the_default_list() {
        assert_eq!(
            why("/etc/kubernetes").unwrap(),
            "is the denied path /etc/kubernetes and is under the denied path /etc"
        );
        assert_eq!(
            why("/var/lib").unwrap(),
            "contains the denied path /var/lib/kubelet"
        );
        assert_eq!(
            why("/var/run/docker.sock").unwrap(),
            "is the denied path /run/docker.sock"
        );
        assert!(
            why("/")
                .unwrap()
                .starts_with("contains the denied paths /run/docker.sock")
        );
        assert!(why("/a/../etc").unwrap().contains("`..`"));
        assert_eq!(why("/var/log"), None);
        assert_eq!(why("/etcd"), None);
        assert_eq!(why("C:\\Windows"), None);
    }

    #[test]
    fn read_only_needs_every_matching_entry() {
        let s: Settings = serde_json::from_str(
            r#"{"deniedPaths":[{"path":"/var/log","allowReadOnly":true},{"path":"/var/lib/kubelet"}]}"#,
        )
        .unwrap();
        let d = s.denied().unwrap();
        assert!(judge("/var/log/pods", &d).unwrap().read_only_ok);
        assert!(!judge("/var", &d).unwrap().read_only_ok);
    }
}
