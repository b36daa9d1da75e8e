//! The rule: a pure function over what a Role or ClusterRole grants, matched as the API
//! server's RBAC authorizer matches it (`*` in groups, resources and verbs; `*/sub`).

use policy_helpers::prelude::*;

use policy_helpers::rbac::RoleReview;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Rejects a Role or ClusterRole with a rule that grants one of `deniedPermissions`. An
/// aggregated ClusterRole is accepted: the aggregation controller writes its rules from
/// ClusterRoles that are judged themselves.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let review = match RoleReview::from_request(req) {
        Ok(Some(r)) => r,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    if review.role.aggregation_rule.is_some() {
        return Verdict::accept();
    }
    let mut findings = Findings::new();
    for (i, rule) in review.role.rules.iter().enumerate() {
        for (j, denied) in ctx.settings.denied_permissions.iter().enumerate() {
            if let Some(grant) = rule.overlap(denied) {
                findings.object(format!(
                    "rules[{i}] grants {} ({}), which deniedPermissions[{j}] denies",
                    grant.describe(),
                    rule.describe()
                ));
            }
        }
    }
    findings.into_verdict()
}
