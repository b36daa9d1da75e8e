//! The rule: no Role or ClusterRole can list or watch Secrets; `get` is recorded.

use policy_helpers::prelude::*;

use policy_helpers::rbac::{
    Grant, Permission, PolicyRule, RoleReview, RuleFinding, mark_widened, report_aggregation,
};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Policy, Request, Verdict};

use crate::RestrictSecretReadRoles;
use crate::settings::Settings;

/// The operations evaluated.
pub const OPERATIONS: &[Operation] = &[Operation::Create, Operation::Update];

/// What a role grants on Secrets: denied grants, and recorded ones.
#[derive(Debug, Default)]
pub struct SecretGrants {
    /// Grants of `deniedVerbs` on all Secrets.
    pub denied: Vec<RuleFinding>,
    /// Grants of `auditVerbs`, and of any read verb limited to named Secrets.
    pub recorded: Vec<RuleFinding>,
}

fn describe(grants: &[Grant]) -> String {
    grants
        .iter()
        .map(|g| format!("{:?}", g.verb))
        .collect::<Vec<_>>()
        .join(", ")
}

fn finding(i: usize, grants: &[Grant], rule: &PolicyRule, tail: &str) -> RuleFinding {
    RuleFinding {
        rule: i,
        key: grants.iter().map(Grant::key).collect::<Vec<_>>().join(","),
        detail: format!(
            "grants {} on secrets ({}){tail}",
            describe(grants),
            rule.describe()
        ),
    }
}

/// Sorts what `rules` grant on Secrets into denied and recorded.
pub fn grants(rules: &[PolicyRule], s: &Settings) -> SecretGrants {
    let denied_p = Permission {
        api_groups: vec![String::new()],
        resources: vec!["secrets".into()],
        verbs: s.denied_verbs.clone(),
    };
    let audit_p = Permission {
        verbs: s.audit_verbs.clone(),
        ..denied_p.clone()
    };
    let mut out = SecretGrants::default();
    for (i, rule) in rules.iter().enumerate() {
        let denied = rule.overlaps(&denied_p);
        let audited = rule.overlaps(&audit_p);
        if rule.is_named() {
            let all: Vec<Grant> = denied.into_iter().chain(audited).collect();
            if !all.is_empty() {
                out.recorded
                    .push(finding(i, &all, rule, " limited to the named Secrets"));
            }
            continue;
        }
        if !denied.is_empty() {
            out.denied.push(finding(
                i,
                &denied,
                rule,
                ": list and watch return the contents of every Secret in scope",
            ));
        } else if !audited.is_empty() {
            out.recorded.push(finding(i, &audited, rule, ""));
        }
    }
    out
}

/// Rejects roles granting `deniedVerbs` on Secrets; records those granting `auditVerbs`.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let review = match RoleReview::from_request(req) {
        Ok(Some(r)) => r,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let s = &ctx.settings;
    match s.exempt_roles() {
        Ok(exempt) if review.is_named_by(&exempt, req) => return Verdict::accept(),
        Ok(_) => {}
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    }
    let id = req.identity(&review.role.metadata);
    let mut f = Findings::new();
    if let Some(agg) = &review.role.aggregation_rule {
        report_aggregation(
            &mut f,
            s.aggregated_cluster_roles,
            &id,
            RestrictSecretReadRoles::CONTROLS,
            agg,
        );
        return f.into_verdict();
    }
    let mut g = grants(&review.role.rules, s);
    if let Some(old) = &review.old {
        mark_widened(&mut g.denied, &grants(&old.rules, s).denied);
    }
    for x in &g.denied {
        f.object(x.message());
    }
    if !g.recorded.is_empty() && g.denied.is_empty() {
        let text: Vec<String> = g.recorded.iter().map(RuleFinding::message).collect();
        f.warn(format!(
            "{id}: {} (recorded: bind it only where the Secrets are needed) [{}]",
            text.join("; "),
            RestrictSecretReadRoles::CONTROLS
        ));
        f.annotate("secret-read", text.join("; "));
    }
    f.into_verdict()
}
