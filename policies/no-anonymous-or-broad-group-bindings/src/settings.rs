//! Settings: the denied subjects, the role references they may still be bound to, and the
//! common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::rbac::{RolePatterns, SubjectPatterns};
use policy_helpers::{Exemptions, PolicySettings};

/// The subjects denied by default: every request without credentials, every authenticated
/// identity (with Entra ID: every user of the tenant), and every service account (of the
/// cluster, or of one namespace).
pub const DEFAULT_DENIED_SUBJECTS: &[&str] = &[
    "User:system:anonymous",
    "Group:system:unauthenticated",
    "Group:system:authenticated",
    "Group:system:serviceaccounts",
    "Group:system:serviceaccounts:*",
];

/// The ClusterRoles the upstream bootstrap bindings grant to those groups, which a cluster
/// needs: API discovery, self-review, the public version/health endpoints, and the service
/// account issuer discovery documents.
pub const DEFAULT_ALLOWED_ROLE_REFS: &[&str] = &[
    "system:basic-user",
    "system:discovery",
    "system:public-info-viewer",
    "system:service-account-issuer-discovery",
];

fn strings(l: &[&str]) -> Vec<String> {
    l.iter().map(|s| s.to_string()).collect()
}

policy_helpers::view! {
    /// Settings of `no-anonymous-or-broad-group-bindings`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Subjects no binding may name: `User:`, `Group:`, `ServiceAccount:<ns>/<name>` patterns.
        pub denied_subjects: Vec<String> = "deniedSubjects",
        /// Role references those subjects may still be bound to: `name` for a ClusterRole,
        /// `namespace/name` for a Role (globs).
        pub allowed_role_refs: Vec<String> = "allowedRoleRefs",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            denied_subjects: strings(DEFAULT_DENIED_SUBJECTS),
            allowed_role_refs: strings(DEFAULT_ALLOWED_ROLE_REFS),
            exemptions: Exemptions::default(),
        }
    }
}

/// The settings compiled for matching.
pub struct Compiled {
    /// `deniedSubjects`.
    pub denied_subjects: SubjectPatterns,
    /// `allowedRoleRefs`.
    pub allowed_role_refs: RolePatterns,
}

impl Settings {
    /// Compiles the patterns.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn compile(&self) -> Result<Compiled, String> {
        Ok(Compiled {
            denied_subjects: SubjectPatterns::compile("deniedSubjects", &self.denied_subjects)?,
            allowed_role_refs: RolePatterns::compile("allowedRoleRefs", &self.allowed_role_refs)?,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.denied_subjects.is_empty() {
            return Err("deniedSubjects is empty: the policy would check nothing".into());
        }
        self.compile().map(|_| ())
    }
}
