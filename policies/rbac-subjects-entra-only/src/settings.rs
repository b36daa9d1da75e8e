//! Settings: allowed and denied subject names, groups-only mode, cross-namespace ServiceAccounts,
//! Kubernetes system identities, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::{Glob, compile_list};
use policy_helpers::{Exemptions, PolicySettings};

/// Generic, shared names denied by default (matched case-insensitively).
pub const DEFAULT_DENIED: &[&str] = &[
    "admin",
    "admins",
    "administrator*",
    "root",
    "ops",
    "devops",
    "dev",
    "devs",
    "developers",
    "team-*",
    "*-team",
    "*-admins",
    "everyone",
    "all",
    "users",
    "guest*",
    "test*",
    "shared*",
    "cluster-admin",
];

policy_helpers::view! {
    /// Settings of `rbac-subjects-entra-only`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// User and Group names allowed although not GUIDs (break-glass accounts, AKS identities).
        pub allowed_subjects: Vec<String> = "allowedSubjects",
        /// Generic, shared names denied even when allow-listed (case-insensitive globs).
        pub denied_subjects: Vec<String> = "deniedSubjects",
        /// Whether Kubernetes' own `system:` identities may be bound.
        pub allow_system_subjects: bool = "allowSystemSubjects",
        /// Whether only Groups may be bound (no individual Users, unless allow-listed).
        pub groups_only: bool = "groupsOnly",
        /// Whether a RoleBinding may bind a ServiceAccount of another namespace.
        pub allow_cross_namespace_sa: bool = "allowCrossNamespaceSA",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allowed_subjects: Vec::new(),
            denied_subjects: DEFAULT_DENIED.iter().map(|s| (*s).to_string()).collect(),
            allow_system_subjects: true,
            groups_only: false,
            allow_cross_namespace_sa: false,
            exemptions: Exemptions::default(),
        }
    }
}

/// Compiled name lists.
pub struct Compiled {
    /// Allowed names.
    pub allowed: Vec<Glob>,
    /// Denied names, lower case.
    pub denied: Vec<Glob>,
}

impl Settings {
    /// Compiles the name lists.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn compile(&self) -> Result<Compiled, String> {
        // Denied names match case-insensitively: the patterns are compiled in lower case.
        let denied: Vec<String> = self
            .denied_subjects
            .iter()
            .map(|p| p.to_lowercase())
            .collect();
        Ok(Compiled {
            allowed: compile_list("allowedSubjects", &self.allowed_subjects)?,
            denied: compile_list("deniedSubjects", &denied)?,
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
