//! The rule: a pure function over the pod view.

use policy_helpers::prelude::*;

use policy_helpers::image::ImageRef;
use policy_helpers::pod::{PodObject, Volume};
use policy_helpers::pss::container_checks;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{Compiled, Settings};

policy_helpers::view! {
    #[derive(Default)]
    struct Named {
        name: Option<String> = "name",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct OldSpec {
        ephemeral_containers: Option<Vec<Named>> = "ephemeralContainers",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct OldPod {
        spec: Option<OldSpec> = "spec",
    }
}

/// Why the requester may break glass, if they may.
fn break_glass(req: &Request<'_>, c: &Compiled) -> Option<String> {
    let user = &req.user_info.username;
    if c.users.iter().any(|g| g.matches(user)) {
        return Some(format!("break-glass user {user:?}"));
    }
    req.user_info
        .groups
        .iter()
        .find(|grp| c.groups.iter().any(|g| g.matches(grp)))
        .map(|grp| format!("break-glass group {grp:?}"))
}

/// `/`, however it is spelt (`//`, `/.`, `/./`).
fn is_root(path: &str) -> bool {
    path.starts_with('/') && path.split('/').all(|seg| seg.is_empty() || seg == ".")
}

/// The node-debugging shape: the node's root file system mounted through hostPath together
/// with a host namespace (what `kubectl debug node/…` creates), from the pod's decoded
/// `volumes`.
fn node_debug_shape(pod: &PodObject, volumes: &[Volume]) -> Option<String> {
    let spec = &pod.spec;
    let (i, v) = volumes
        .iter()
        .enumerate()
        .find(|(_, v)| v.host_path.as_ref().is_some_and(|h| is_root(&h.path)))?;
    let base = pod.spec_path();
    let mut namespaces = Vec::new();
    for (field, value) in [
        ("hostPID", spec.host_pid),
        ("hostNetwork", spec.host_network),
        ("hostIPC", spec.host_ipc),
    ] {
        if value == Some(true) {
            namespaces.push(format!("{base}.{field}=true"));
        }
    }
    if namespaces.is_empty() {
        return None;
    }
    let path = v.host_path.as_ref().map(|h| h.path.as_str()).unwrap_or("/");
    Some(format!(
        "is a node-debugging pod (kubectl debug node/…): it mounts the node's root file system \
         ({base}.volumes[{i}].hostPath.path={path:?}) and shares host namespaces ({})",
        namespaces.join(", ")
    ))
}

/// Ephemeral containers added through `pods/ephemeralcontainers` must pass the PSS container
/// checks at the configured level, use an allowed debug image, and not land in a protected
/// namespace; node-debugging pods are rejected outside the node-debug namespaces. Break-glass
/// identities pass with a warning.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let c = ctx.settings.compile().unwrap_or_default();
    let namespace = req.effective_namespace(&pod.metadata);
    let mut findings = Findings::new();
    if pod.ephemeral_only {
        let old: Vec<String> = match req.old_object_as::<OldPod>() {
            Ok(o) => o
                .and_then(|o| o.spec)
                .and_then(|s| s.ephemeral_containers)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|n| n.name)
                .collect(),
            Err(e) => return Verdict::unreadable(format!("old object cannot be read: {e}")),
        };
        let protected = c.protected.iter().find(|g| g.matches(namespace));
        for e in pod.checked_containers(&ctx.exemptions) {
            if old.contains(&e.container.name) {
                continue; // already there: ephemeral containers cannot change once added
            }
            if let Some(g) = protected {
                findings.container(
                    &e,
                    format!(
                        "is added in protected namespace {namespace:?} ({}): only break-glass identities may debug there",
                        g.as_str()
                    ),
                );
                continue;
            }
            if !c.images.is_empty() {
                let image = e.container.image.as_deref().unwrap_or_default();
                let ok =
                    ImageRef::parse(image).is_ok_and(|r| c.images.iter().any(|p| p.matches(&r)));
                if !ok {
                    findings.container(
                        &e,
                        format!("uses image {image:?}, which is not in allowedDebugImages"),
                    );
                }
            }
            let details = match container_checks(&pod, &e, ctx.settings.level) {
                Ok(d) => d,
                Err(err) => return Verdict::cannot_read(err),
            };
            for d in details {
                findings.container(&e, d);
            }
        }
    } else {
        let volumes = match pod.volumes() {
            Ok(v) => v,
            Err(e) => return Verdict::cannot_read(e),
        };
        if let Some(shape) = node_debug_shape(&pod, &volumes)
            && !c.node_debug.iter().any(|g| g.matches(namespace))
        {
            findings.object(shape);
        }
    }
    if findings.is_empty() {
        return Verdict::accept();
    }
    if let Some(who) = break_glass(req, &c) {
        return Verdict::Accept {
            warnings: vec![format!(
                "restrict-ephemeral-and-node-debug: admitted for {who}; this access is recorded"
            )],
        };
    }
    findings.into_verdict()
}

#[cfg(test)]
mod tests {
    use super::is_root;

    #[test]
    fn root_spellings() {
        for p in ["/", "//", "/.", "/./", "/./."] {
            assert!(is_root(p), "{p}");
        }
        for p in ["/host", "", ".", "/var/..", "/..x"] {
            assert!(!is_root(p), "{p}");
        }
    }
}
