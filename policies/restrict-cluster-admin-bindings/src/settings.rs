//! Settings: which role references are restricted, who may hold them, and the common
//! exemptions.

use policy_helpers::prelude::*;

use policy_helpers::rbac::{AggregatedRoles, RolePatterns, SubjectPatterns};
use policy_helpers::{Exemptions, PolicySettings};

fn strings(l: &[&str]) -> Vec<String> {
    l.iter().map(|s| s.to_string()).collect()
}

policy_helpers::view! {
    /// Settings of `restrict-cluster-admin-bindings`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// ClusterRoles that may be bound (by any binding) only to allowed subjects.
        pub restricted_roles: Vec<String> = "restrictedRoles",
        /// ClusterRoles that may be bound cluster-wide (ClusterRoleBinding) only to allowed
        /// subjects; a RoleBinding to them in one namespace is fine.
        pub restricted_cluster_wide_roles: Vec<String> = "restrictedClusterWideRoles",
        /// Subjects that may hold the restricted roles: `User:`, `Group:`,
        /// `ServiceAccount:<ns>/<name>` patterns.
        pub allowed_subjects: Vec<String> = "allowedSubjects",
        /// Bindings not checked: `name` for ClusterRoleBindings, `namespace/name` for RoleBindings.
        pub allowed_binding_names: Vec<String> = "allowedBindingNames",
        /// Whether Roles and ClusterRoles that grant everything (`*` groups, `*` resources, every
        /// verb) are denied.
        pub deny_equivalent_roles: bool = "denyEquivalentRoles",
        /// Roles allowed to grant everything: `name` (ClusterRole) or `namespace/name` (Role).
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
            restricted_roles: strings(&["cluster-admin"]),
            restricted_cluster_wide_roles: strings(&["admin", "edit"]),
            allowed_subjects: strings(&["Group:system:masters"]),
            allowed_binding_names: strings(&["aks-*"]),
            deny_equivalent_roles: true,
            exempt_roles: strings(&["cluster-admin", "system:*"]),
            aggregated_cluster_roles: AggregatedRoles::Warn,
            exemptions: Exemptions::default(),
        }
    }
}

/// The settings compiled for matching.
pub struct Compiled {
    /// `restrictedRoles` (ClusterRole names).
    pub restricted_roles: RolePatterns,
    /// `restrictedClusterWideRoles` (ClusterRole names).
    pub restricted_cluster_wide_roles: RolePatterns,
    /// `allowedSubjects`.
    pub allowed_subjects: SubjectPatterns,
    /// `allowedBindingNames`.
    pub allowed_binding_names: RolePatterns,
    /// `exemptRoles`.
    pub exempt_roles: RolePatterns,
}

fn cluster_role_names(key: &str, list: &[String]) -> Result<RolePatterns, String> {
    if let Some(i) = list.iter().position(|s| s.contains('/')) {
        return Err(format!(
            "{key}[{i}]: {:?} is not a ClusterRole name",
            list[i]
        ));
    }
    RolePatterns::compile(key, list)
}

impl Settings {
    /// Compiles the patterns.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn compile(&self) -> Result<Compiled, String> {
        Ok(Compiled {
            restricted_roles: cluster_role_names("restrictedRoles", &self.restricted_roles)?,
            restricted_cluster_wide_roles: cluster_role_names(
                "restrictedClusterWideRoles",
                &self.restricted_cluster_wide_roles,
            )?,
            allowed_subjects: SubjectPatterns::compile("allowedSubjects", &self.allowed_subjects)?,
            allowed_binding_names: RolePatterns::compile(
                "allowedBindingNames",
                &self.allowed_binding_names,
            )?,
            exempt_roles: RolePatterns::compile("exemptRoles", &self.exempt_roles)?,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.restricted_roles.is_empty() && !self.deny_equivalent_roles {
            return Err(
                "restrictedRoles is empty and denyEquivalentRoles is false: the policy would check nothing"
                    .into(),
            );
        }
        self.compile().map(|_| ())
    }
}
