//! The rule: a pure function over the Pod's metadata.

use policy_helpers::prelude::*;

use policy_helpers::pod::{PodKind, PodObject};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{Settings, kind_allowed};

/// Rejects a Pod without a controller owner reference, or whose controller is of a kind not in
/// `allowedControllerKinds`. Other kinds are accepted: they are controllers themselves.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    if PodKind::of(&req.kind.group, &req.kind.kind) != Some(PodKind::Pod)
        || req.is_ephemeral_containers_update()
    {
        return Verdict::accept();
    }
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let owners = match pod.metadata.owner_references() {
        Ok(o) => o,
        Err(e) => return Verdict::cannot_read(e),
    };
    let mut findings = Findings::new();
    match owners.iter().find(|o| o.controller == Some(true)) {
        None if owners.is_empty() => findings.object(
            "is a bare Pod: metadata.ownerReferences is empty; create it through a controller (Deployment, StatefulSet, DaemonSet, Job) so it is rescheduled and rolled out",
        ),
        None => findings.object(format!(
            "is a bare Pod: none of its {} metadata.ownerReferences sets controller: true; create it through a controller (Deployment, StatefulSet, DaemonSet, Job)",
            owners.len()
        )),
        Some(o) => {
            let allowed = &ctx.settings.allowed_controller_kinds;
            if !allowed.is_empty()
                && !allowed
                    .iter()
                    .any(|e| kind_allowed(e, &o.api_version, &o.kind))
            {
                findings.object(format!(
                    "is controlled by {} {:?} ({}), which is not in allowedControllerKinds [{}]",
                    o.kind,
                    o.name,
                    o.api_version,
                    allowed.join(", ")
                ));
            }
        }
    }
    findings.into_verdict()
}

#[cfg(test)]
mod tests {
    use crate::settings::kind_allowed;

    #[test]
    fn kinds_with_and_without_group() {
        assert!(kind_allowed("ReplicaSet", "apps/v1", "ReplicaSet"));
        assert!(kind_allowed("apps/ReplicaSet", "apps/v1", "ReplicaSet"));
        assert!(!kind_allowed(
            "apps/ReplicaSet",
            "example.com/v1",
            "ReplicaSet"
        ));
        assert!(kind_allowed("Node", "v1", "Node"));
        assert!(!kind_allowed("apps/Node", "v1", "Node"));
    }
}
