//! The rule: every rule of a Role or ClusterRole names what it grants.

use policy_helpers::prelude::*;

use policy_helpers::rbac::{PolicyRule, RoleReview, RuleFinding, mark_widened, report_aggregation};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Policy, Request, Verdict};

use crate::RestrictRbacWildcards;

use crate::settings::{Compiled, Settings};

/// The operations evaluated: a role is written by CREATE and UPDATE.
pub const OPERATIONS: &[Operation] = &[Operation::Create, Operation::Update];

/// The wildcards of `rules`, one finding per rule that uses any.
pub fn findings(rules: &[PolicyRule], s: &Settings, c: &Compiled) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let mut wildcards = rule.wildcards(s.every_verb_is_wildcard);
        let allowed_group = !rule.api_groups.is_empty()
            && rule.api_groups.iter().all(|g| {
                g != "*" && !g.is_empty() && c.allow_wildcard_for.iter().any(|p| p.matches(g))
            });
        if allowed_group {
            wildcards.retain(|w| !w.starts_with("verbs") && !w.starts_with("resources"));
        }
        if wildcards.is_empty() {
            continue;
        }
        out.push(RuleFinding {
            rule: i,
            key: format!("{:?}|{}", rule.api_groups, wildcards.join("|")),
            detail: format!(
                "uses wildcards: {} ({})",
                wildcards.join(", "),
                rule.describe()
            ),
        });
    }
    out
}

/// Rejects a Role or ClusterRole whose rules use wildcards, unless it is exempt; reports an
/// aggregated ClusterRole instead of evaluating the rules the aggregation controller writes.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let review = match RoleReview::from_request(req) {
        Ok(Some(r)) => r,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let s = &ctx.settings;
    let c = match s.compile() {
        Ok(c) => c,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
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
            RestrictRbacWildcards::CONTROLS,
            agg,
        );
        return f.into_verdict();
    }
    let mut found = findings(&review.role.rules, s, &c);
    if let Some(old) = &review.old {
        mark_widened(&mut found, &findings(&old.rules, s, &c));
    }
    for x in &found {
        f.object(x.message());
    }
    if !f.is_empty() {
        f.object(
            "name the verbs, resources and API groups the role needs (or exempt the role in exemptRoles)",
        );
    }
    f.into_verdict()
}
