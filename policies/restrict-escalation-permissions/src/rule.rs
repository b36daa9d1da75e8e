//! The rule: no Role or ClusterRole grants a permission that leads past RBAC.

use policy_helpers::prelude::*;

use policy_helpers::rbac::{
    Permission, PolicyRule, RbacKind, RoleReview, RuleFinding, WRITE_VERBS, mark_widened,
    report_aggregation,
};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Policy, Request, Verdict};

use crate::RestrictEscalationPermissions;
use crate::settings::Settings;

/// The operations evaluated.
pub const OPERATIONS: &[Operation] = &[Operation::Create, Operation::Update];

/// A built-in check: an id for settings, the permissions, and why they matter.
pub struct Check {
    /// Id used in `checks`.
    pub id: &'static str,
    /// API groups.
    pub groups: &'static [&'static str],
    /// Resources.
    pub resources: &'static [&'static str],
    /// Verbs.
    pub verbs: &'static [&'static str],
    /// Why it is dangerous.
    pub why: &'static str,
}

const RBAC: &[&str] = &["rbac.authorization.k8s.io"];
const ROLES: &[&str] = &["roles", "clusterroles"];

/// The built-in checks, in message order.
pub const CHECKS: &[Check] = &[
    Check {
        id: "escalate",
        groups: RBAC,
        resources: ROLES,
        verbs: &["escalate"],
        why: "lets its holder write roles granting permissions it does not hold",
    },
    Check {
        id: "bind",
        groups: RBAC,
        resources: ROLES,
        verbs: &["bind"],
        why: "lets its holder bind roles it does not hold, cluster-admin included",
    },
    Check {
        id: "impersonate",
        groups: &["", "authentication.k8s.io"],
        resources: &["users", "groups", "serviceaccounts", "uids", "userextras/*"],
        verbs: &["impersonate"],
        why: "lets its holder act as other users, groups or service accounts",
    },
    Check {
        id: "serviceaccount-token",
        groups: &[""],
        resources: &["serviceaccounts/token"],
        verbs: &["create"],
        why: "mints tokens for any ServiceAccount in scope",
    },
    Check {
        id: "nodes-proxy",
        groups: &[""],
        resources: &["nodes/proxy"],
        verbs: &["*"],
        why: "reaches the kubelet API, which runs commands in any pod of the node",
    },
    Check {
        id: "csr-approval",
        groups: &["certificates.k8s.io"],
        resources: &["certificatesigningrequests/approval"],
        verbs: &["update", "patch"],
        why: "approves certificate signing requests (client certificates for any identity)",
    },
    Check {
        id: "signer-approve",
        groups: &["certificates.k8s.io"],
        resources: &["signers"],
        verbs: &["approve"],
        why: "approves requests for certificate signers",
    },
    Check {
        id: "webhook-configurations",
        groups: &["admissionregistration.k8s.io"],
        resources: &[
            "validatingwebhookconfigurations",
            "mutatingwebhookconfigurations",
        ],
        verbs: WRITE_VERBS,
        why: "can switch off or rewrite admission control",
    },
    Check {
        id: "aggregate-to-edit-endpoints",
        groups: &["", "discovery.k8s.io"],
        resources: &["endpoints", "endpointslices"],
        verbs: WRITE_VERBS,
        why: "gives every holder of edit and admin write access to Endpoints, which can forward a Service to any address (CVE-2021-25740)",
    },
];

/// The id of the CVE-2021-25740 check, which applies only to `system:aggregate-to-edit` and
/// roles aggregated into `edit`, and ignores `exemptRoles`.
pub const AGGREGATE_TO_EDIT: &str = "aggregate-to-edit-endpoints";

fn permission(c: &Check) -> Permission {
    Permission::new(c.groups, c.resources, c.verbs)
}

/// What `rules` grant that the enabled checks (and `deniedPermissions`) forbid.
/// `general` applies the checks subject to `exemptRoles`; `edit_feeder` applies the
/// CVE-2021-25740 check.
pub fn findings(
    rules: &[PolicyRule],
    s: &Settings,
    general: bool,
    edit_feeder: bool,
) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        for c in CHECKS
            .iter()
            .filter(|c| s.checks.iter().any(|id| id == c.id))
        {
            let applies = if c.id == AGGREGATE_TO_EDIT {
                edit_feeder
            } else {
                general
            };
            if !applies {
                continue;
            }
            let grants = rule.overlaps(&permission(c));
            if grants.is_empty() {
                continue;
            }
            out.push(finding(i, c.id, &grants, c.why, rule));
        }
        if general {
            for (j, p) in s.denied_permissions.iter().enumerate() {
                let grants = rule.overlaps(p);
                if !grants.is_empty() {
                    let id = format!("deniedPermissions[{j}]");
                    out.push(finding(
                        i,
                        &id,
                        &grants,
                        "is listed in deniedPermissions",
                        rule,
                    ));
                }
            }
        }
    }
    out
}

fn finding(
    rule: usize,
    id: &str,
    grants: &[policy_helpers::rbac::Grant],
    why: &str,
    r: &PolicyRule,
) -> RuleFinding {
    let what: Vec<String> = grants.iter().map(|g| g.describe()).collect();
    let keys: Vec<String> = grants.iter().map(|g| g.key()).collect();
    let named = if r.is_named() {
        format!(" (even limited to resourceNames {:?})", r.resource_names)
    } else {
        String::new()
    };
    RuleFinding {
        rule,
        key: format!("{id}|{}", keys.join(",")),
        detail: format!("grants {}{named} [{id}]: {why}", what.join(", ")),
    }
}

/// Rejects a Role or ClusterRole granting escalation permissions, unless it is exempt.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let review = match RoleReview::from_request(req) {
        Ok(Some(r)) => r,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let s = &ctx.settings;
    let exempt = match s.exempt_roles() {
        Ok(e) => e,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    let cluster_role = review.kind == RbacKind::ClusterRole;
    let general = !review.is_named_by(&exempt, req);
    let edit_feeder = cluster_role
        && (review.name(req) == "system:aggregate-to-edit"
            || review.role.aggregates_into().contains(&"edit"));
    if !general && !edit_feeder {
        return Verdict::accept();
    }
    let mut f = Findings::new();
    if let Some(agg) = &review.role.aggregation_rule {
        if general {
            let id = req.identity(&review.role.metadata);
            report_aggregation(
                &mut f,
                s.aggregated_cluster_roles,
                &id,
                RestrictEscalationPermissions::CONTROLS,
                agg,
            );
        }
        return f.into_verdict();
    }
    let mut found = findings(&review.role.rules, s, general, edit_feeder);
    if let Some(old) = &review.old {
        mark_widened(&mut found, &findings(&old.rules, s, general, edit_feeder));
    }
    for x in &found {
        f.object(x.message());
    }
    f.into_verdict()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
        let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        PolicyRule {
            verbs: own(verbs),
            api_groups: own(groups),
            resources: own(resources),
            ..PolicyRule::default()
        }
    }

    #[test]
    fn each_check_fires_on_its_permission_only() {
        let s = Settings::default();
        let cases = [
            (
                rule(
                    &["rbac.authorization.k8s.io"],
                    &["clusterroles"],
                    &["escalate"],
                ),
                "escalate",
            ),
            (
                rule(&["rbac.authorization.k8s.io"], &["roles"], &["bind"]),
                "bind",
            ),
            (
                rule(&[""], &["serviceaccounts"], &["impersonate"]),
                "impersonate",
            ),
            (
                rule(
                    &["authentication.k8s.io"],
                    &["userextras/scopes"],
                    &["impersonate"],
                ),
                "impersonate",
            ),
            (
                rule(&[""], &["serviceaccounts/token"], &["create"]),
                "serviceaccount-token",
            ),
            (rule(&[""], &["nodes/proxy"], &["get"]), "nodes-proxy"),
            (
                rule(
                    &["certificates.k8s.io"],
                    &["certificatesigningrequests/approval"],
                    &["update"],
                ),
                "csr-approval",
            ),
            (
                rule(&["certificates.k8s.io"], &["signers"], &["approve"]),
                "signer-approve",
            ),
            (
                rule(
                    &["admissionregistration.k8s.io"],
                    &["mutatingwebhookconfigurations"],
                    &["patch"],
                ),
                "webhook-configurations",
            ),
        ];
        for (r, id) in cases {
            let f = findings(core::slice::from_ref(&r), &s, true, false);
            assert_eq!(f.len(), 1, "{id}: {f:?}");
            assert!(f[0].detail.contains(&format!("[{id}]")), "{id}: {f:?}");
        }
        let harmless = [
            rule(
                &["rbac.authorization.k8s.io"],
                &["roles"],
                &["get", "list", "create"],
            ),
            rule(&[""], &["nodes"], &["get"]),
            rule(&[""], &["serviceaccounts"], &["create"]),
            rule(
                &["admissionregistration.k8s.io"],
                &["validatingwebhookconfigurations"],
                &["get", "list"],
            ),
            rule(&[""], &["*/proxy"], &["get"]),
        ];
        for r in harmless.iter().take(4) {
            assert!(
                findings(core::slice::from_ref(r), &s, true, false).is_empty(),
                "{r:?}"
            );
        }
        // `*/proxy` names the proxy subresource of every resource, nodes included.
        assert_eq!(findings(&harmless[4..], &s, true, false).len(), 1);
    }

    #[test]
    fn everything_trips_every_general_check_but_not_the_cve_one() {
        let s = Settings::default();
        let f = findings(&[rule(&["*"], &["*"], &["*"])], &s, true, false);
        assert_eq!(f.len(), CHECKS.len() - 1);
        let f = findings(&[rule(&[""], &["endpoints"], &["create"])], &s, false, true);
        assert_eq!(f.len(), 1);
        assert!(f[0].detail.contains("CVE-2021-25740"));
    }
}
