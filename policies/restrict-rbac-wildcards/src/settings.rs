//! Settings: exempt roles, API groups where wildcards are allowed, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::Glob;
use policy_helpers::rbac::{AggregatedRoles, RolePatterns};
use policy_helpers::{Exemptions, PolicySettings};

/// Roles exempt by default: the upstream user-facing roles (`cluster-admin` is `*` by design;
/// `admin`, `edit` and `view` are aggregated), every upstream `system:` ClusterRole (the API
/// server reconciles them at start-up; denying that would break the control plane) and the
/// Roles in `kube-system` (AKS add-ons keep theirs there).
pub const DEFAULT_EXEMPT_ROLES: &[&str] = &[
    "cluster-admin",
    "admin",
    "edit",
    "view",
    "system:*",
    "kube-system/*",
];

policy_helpers::view! {
    /// Settings of `restrict-rbac-wildcards`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Roles not checked: `name` for ClusterRoles, `namespace/name` for Roles (globs).
        pub exempt_roles: Vec<String> = "exemptRoles",
        /// API groups (globs) in which `resources: ["*"]` and `verbs: ["*"]` are allowed, e.g.
        /// the group of an operator's own CRDs.
        pub allow_wildcard_for: Vec<String> = "allowWildcardFor",
        /// Whether a verb list naming every standard verb counts as `*` (default true).
        pub every_verb_is_wildcard: bool = "everyVerbIsWildcard",
        /// How aggregated ClusterRoles are reported: `warn` (default) or `deny`.
        pub aggregated_cluster_roles: AggregatedRoles = "aggregatedClusterRoles",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            exempt_roles: DEFAULT_EXEMPT_ROLES.iter().map(|s| s.to_string()).collect(),
            allow_wildcard_for: Vec::new(),
            every_verb_is_wildcard: true,
            aggregated_cluster_roles: AggregatedRoles::Warn,
            exemptions: Exemptions::default(),
        }
    }
}

/// The settings compiled for matching.
pub struct Compiled {
    /// Exempt roles.
    pub exempt_roles: RolePatterns,
    /// Groups where wildcards are allowed.
    pub allow_wildcard_for: Vec<Glob>,
}

impl Settings {
    /// Compiles the patterns.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn compile(&self) -> Result<Compiled, String> {
        let mut groups = Vec::with_capacity(self.allow_wildcard_for.len());
        for (i, g) in self.allow_wildcard_for.iter().enumerate() {
            if g == "*" || g == "**" {
                return Err(format!(
                    "allowWildcardFor[{i}]: {g:?} would allow wildcards in every API group; list the custom groups"
                ));
            }
            groups.push(Glob::new(g).map_err(|e| {
                format!("allowWildcardFor[{i}]: {e} (the core group cannot be listed)")
            })?);
        }
        Ok(Compiled {
            exempt_roles: RolePatterns::compile("exemptRoles", &self.exempt_roles)?,
            allow_wildcard_for: groups,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        self.compile().map(|_| ())
    }
}
