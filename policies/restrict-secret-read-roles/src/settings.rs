//! Settings: denied and recorded verbs on Secrets, exempt roles, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::rbac::{AggregatedRoles, RolePatterns};
use policy_helpers::{Exemptions, PolicySettings};

/// Roles exempt by default: `cluster-admin`, `admin` and `edit` (the upstream user-facing
/// roles, which read Secrets by design: bind them per namespace), every upstream `system:`
/// ClusterRole (controllers that must list Secrets, reconciled by the API server) and the
/// Roles in `kube-system`.
pub const DEFAULT_EXEMPT_ROLES: &[&str] = &[
    "cluster-admin",
    "admin",
    "edit",
    "system:*",
    "kube-system/*",
];

fn strings(l: &[&str]) -> Vec<String> {
    l.iter().map(|s| s.to_string()).collect()
}

policy_helpers::view! {
    /// Settings of `restrict-secret-read-roles`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Verbs on Secrets that are denied (a rule granting `*` grants them too).
        pub denied_verbs: Vec<String> = "deniedVerbs",
        /// Verbs on Secrets that are allowed but recorded (warning and audit annotation).
        pub audit_verbs: Vec<String> = "auditVerbs",
        /// Roles not checked: `name` for ClusterRoles, `namespace/name` for Roles (globs).
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
            denied_verbs: strings(&["list", "watch"]),
            audit_verbs: strings(&["get"]),
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

fn verbs(key: &str, list: &[String]) -> Result<(), String> {
    for (i, v) in list.iter().enumerate() {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_lowercase() || b == b'*') {
            return Err(format!("{key}[{i}]: {v:?} is not a verb"));
        }
    }
    Ok(())
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.denied_verbs.is_empty() && self.audit_verbs.is_empty() {
            return Err(
                "deniedVerbs and auditVerbs are both empty: the policy would check nothing".into(),
            );
        }
        verbs("deniedVerbs", &self.denied_verbs)?;
        verbs("auditVerbs", &self.audit_verbs)?;
        if let Some(v) = self
            .audit_verbs
            .iter()
            .find(|v| self.denied_verbs.contains(v))
        {
            return Err(format!(
                "auditVerbs: {v:?} is also in deniedVerbs; list each verb once"
            ));
        }
        self.exempt_roles().map(|_| ())
    }
}
