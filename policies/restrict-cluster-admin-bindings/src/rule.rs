//! The rule: restricted roles are bound only to allowed subjects, and no custom role grants
//! everything.

use policy_helpers::prelude::*;

use policy_helpers::rbac::{
    BindingReview, RbacKind, RoleReview, RuleFinding, mark_widened, report_aggregation,
};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Policy, Request, Verdict};

use crate::RestrictClusterAdminBindings;
use crate::settings::{Compiled, Settings};

/// The operations evaluated.
pub const OPERATIONS: &[Operation] = &[Operation::Create, Operation::Update];

/// Routes the request to the binding or the role check.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let c = match ctx.settings.compile() {
        Ok(c) => c,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    match RbacKind::of(req) {
        Some(RbacKind::RoleBinding) | Some(RbacKind::ClusterRoleBinding) => binding(req, &c),
        Some(RbacKind::Role) | Some(RbacKind::ClusterRole)
            if ctx.settings.deny_equivalent_roles =>
        {
            role(req, &ctx.settings, &c)
        }
        _ => Verdict::accept(),
    }
}

fn binding(req: &Request<'_>, c: &Compiled) -> Verdict {
    let review = match BindingReview::from_request(req) {
        Ok(Some(b)) => b,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let cluster_wide = review.is_cluster_wide();
    let binding_ns = review.subject_namespace();
    if c.allowed_binding_names
        .matches(binding_ns, review.name(req))
    {
        return Verdict::accept();
    }
    let r = &review.binding.role_ref;
    let restricted = r.is_cluster_role()
        && (c.restricted_roles.matches(None, &r.name)
            || (cluster_wide && c.restricted_cluster_wide_roles.matches(None, &r.name)));
    if !restricted {
        return Verdict::accept();
    }
    let offending = review.name_subjects(req, |s| !c.allowed_subjects.matches_in(s, binding_ns));
    if offending.is_empty() {
        return Verdict::accept();
    }
    let scope = if cluster_wide {
        "in every namespace".to_string()
    } else {
        format!("in namespace {:?}", review.namespace)
    };
    let mut f = Findings::new();
    f.object(format!(
        "binds {} (roleRef) {scope} to {}, which allowedSubjects does not list; bind a narrower role, or add the subject to allowedSubjects",
        r.describe(),
        offending.join(", ")
    ));
    f.into_verdict()
}

fn everything(rules: &[policy_helpers::rbac::PolicyRule]) -> Vec<RuleFinding> {
    rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.grants_everything())
        .map(|(i, r)| RuleFinding {
            rule: i,
            key: "everything".into(),
            detail: format!(
                "grants every verb on every resource of every API group ({}), the same as cluster-admin",
                r.describe()
            ),
        })
        .collect()
}

fn role(req: &Request<'_>, s: &Settings, c: &Compiled) -> Verdict {
    let review = match RoleReview::from_request(req) {
        Ok(Some(r)) => r,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    if review.is_named_by(&c.exempt_roles, req) {
        return Verdict::accept();
    }
    let mut f = Findings::new();
    if let Some(agg) = &review.role.aggregation_rule {
        let id = req.identity(&review.role.metadata);
        report_aggregation(
            &mut f,
            s.aggregated_cluster_roles,
            &id,
            RestrictClusterAdminBindings::CONTROLS,
            agg,
        );
        return f.into_verdict();
    }
    let mut found = everything(&review.role.rules);
    if let Some(old) = &review.old {
        mark_widened(&mut found, &everything(&old.rules));
    }
    for x in &found {
        f.object(x.message());
    }
    if !f.is_empty() {
        f.object("bind cluster-admin itself to an allowed subject instead of copying it, or name what the role needs");
    }
    f.into_verdict()
}
