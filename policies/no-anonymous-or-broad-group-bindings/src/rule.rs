//! The rule: no binding grants a role to anonymous requests or to every authenticated user or
//! service account, beyond the allowed (discovery) roles.

use policy_helpers::rbac::Binding;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Request, Verdict};

use crate::settings::Settings;

/// The operations evaluated.
pub const OPERATIONS: &[Operation] = &[Operation::Create, Operation::Update];

/// Rejects a RoleBinding or ClusterRoleBinding naming a denied subject, unless its role is in
/// `allowedRoleRefs`.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    if !matches!(
        policy_helpers::rbac::RbacKind::of(req),
        Some(k) if !k.is_role()
    ) {
        return Verdict::accept();
    }
    let c = match ctx.settings.compile() {
        Ok(c) => c,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    let b = match req.object_as::<Binding>() {
        Ok(Some(b)) => b,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::unreadable(format!("cannot be read: {e}")),
    };
    let namespace = req.effective_namespace(&b.metadata).to_string();
    let cluster_wide = policy_helpers::rbac::RbacKind::of(req)
        == Some(policy_helpers::rbac::RbacKind::ClusterRoleBinding);
    let binding_ns = (!cluster_wide).then_some(namespace.as_str());
    if c.allowed_role_refs
        .matches_role_ref(&b.role_ref, &namespace)
    {
        return Verdict::accept();
    }
    let old: Vec<_> = req
        .old_object_as::<Binding>()
        .ok()
        .flatten()
        .map(|o| o.subjects)
        .unwrap_or_default();
    let offending: Vec<String> = b
        .subjects
        .iter()
        .enumerate()
        .filter(|(_, s)| c.denied_subjects.matches_in(s, binding_ns))
        .map(|(i, s)| {
            let added = if req.operation == Operation::Update && !old.contains(s) {
                ", added by this update"
            } else {
                ""
            };
            format!("{} (subjects[{i}]{added})", s.describe())
        })
        .collect();
    if offending.is_empty() {
        return Verdict::accept();
    }
    let mut f = Findings::new();
    f.object(format!(
        "grants {} (roleRef) to {}, which overrides RBAC's deny-by-default for every such identity; bind named Entra groups or service accounts instead",
        b.role_ref.describe(),
        offending.join(", ")
    ));
    f.into_verdict()
}
