//! Settings: which built-in checks run, extra denied permissions, exempt roles, and the common
//! exemptions.

use policy_helpers::prelude::*;

use policy_helpers::rbac::{AggregatedRoles, Permission, RolePatterns};
use policy_helpers::{Exemptions, PolicySettings};

use crate::rule::CHECKS;

/// Roles exempt by default: `cluster-admin`, `admin` and `edit` (the upstream user-facing
/// roles: `admin` and `edit` grant `impersonate` on serviceaccounts and `create` on
/// serviceaccounts/token by design), every upstream `system:` ClusterRole (reconciled by the
/// API server at start-up) and the Roles in `kube-system`.
pub const DEFAULT_EXEMPT_ROLES: &[&str] = &[
    "cluster-admin",
    "admin",
    "edit",
    "system:*",
    "kube-system/*",
];

policy_helpers::view! {
    /// Settings of `restrict-escalation-permissions`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// The built-in checks that run (default: all of them).
        pub checks: Vec<String> = "checks",
        /// Further permissions no role may grant.
        pub denied_permissions: Vec<Permission> = "deniedPermissions",
        /// Roles not checked: `name` for ClusterRoles, `namespace/name` for Roles (globs). The
        /// `aggregate-to-edit-endpoints` check ignores it.
        pub exempt_roles: Vec<String> = "exemptRoles",
        /// How aggregated ClusterRoles are reported: `warn` (default) or `deny`.
        pub aggregated_cluster_roles: AggregatedRoles = "aggregatedClusterRoles",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            checks: CHECKS.iter().map(|c| c.id.to_string()).collect(),
            denied_permissions: Vec::new(),
            exempt_roles: DEFAULT_EXEMPT_ROLES.iter().map(|s| s.to_string()).collect(),
            aggregated_cluster_roles: AggregatedRoles::Warn,
            exemptions: Exemptions::default(),
        }
    }
}

impl Settings {
    /// Compiles `exemptRoles`.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn exempt_roles(&self) -> Result<RolePatterns, String> {
        RolePatterns::compile("exemptRoles", &self.exempt_roles)
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        for (i, c) in self.checks.iter().enumerate() {
            if !CHECKS.iter().any(|k| k.id == c) {
                let known: Vec<&str> = CHECKS.iter().map(|k| k.id).collect();
                return Err(format!(
                    "checks[{i}]: unknown check {c:?} (known: {})",
                    known.join(", ")
                ));
            }
        }
        if self.checks.is_empty() && self.denied_permissions.is_empty() {
            return Err(
                "checks and deniedPermissions are both empty: the policy would check nothing"
                    .into(),
            );
        }
        for (i, p) in self.denied_permissions.iter().enumerate() {
            p.validate(&format!("deniedPermissions[{i}]"))?;
        }
        self.exempt_roles().map(|_| ())
    }
}
