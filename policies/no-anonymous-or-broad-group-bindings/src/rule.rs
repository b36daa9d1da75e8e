//! The rule: no binding grants a role to anonymous requests or to every authenticated user or
//! service account, beyond the allowed (discovery) roles.

use policy_helpers::prelude::*;

use policy_helpers::rbac::BindingReview;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Request, Verdict};

use crate::settings::Settings;

/// The operations evaluated.
pub const OPERATIONS: &[Operation] = &[Operation::Create, Operation::Update];

/// Rejects a RoleBinding or ClusterRoleBinding naming a denied subject, unless its role is in
/// `allowedRoleRefs`.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let review = match BindingReview::from_request(req) {
        Ok(Some(b)) => b,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let c = match ctx.settings.compile() {
        Ok(c) => c,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    let role_ref = &review.binding.role_ref;
    if c.allowed_role_refs
        .matches_role_ref(role_ref, &review.namespace)
    {
        return Verdict::accept();
    }
    let binding_ns = review.subject_namespace();
    let offending = review.name_subjects(req, |s| c.denied_subjects.matches_in(s, binding_ns));
    if offending.is_empty() {
        return Verdict::accept();
    }
    let mut f = Findings::new();
    f.object(format!(
        "grants {} (roleRef) to {}, which overrides RBAC's deny-by-default for every such identity; bind named Entra groups or service accounts instead",
        role_ref.describe(),
        offending.join(", ")
    ));
    f.into_verdict()
}
