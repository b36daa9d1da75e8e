//! Settings: where connections are denied, who may break glass, how roles granting them are
//! reported, and the common exemptions.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::glob::{Glob, compile_list};
use policy_helpers::rbac::{AggregatedRoles, RolePatterns};
use policy_helpers::selector::LabelSelector;
use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// The subresources this policy knows.
pub const SUBRESOURCES: &[&str] = &["exec", "attach", "portforward"];

/// Roles exempt from the role report by default: the upstream user-facing roles that grant
/// these subresources by design (`cluster-admin`, `admin`, `edit`), every upstream `system:`
/// ClusterRole, and the Roles in `kube-system`.
pub const DEFAULT_EXEMPT_ROLES: &[&str] = &[
    "cluster-admin",
    "admin",
    "edit",
    "system:*",
    "kube-system/*",
];

/// Where connections are denied.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Deny in protected namespaces (except break-glass), record everywhere else (default).
    #[default]
    DenyProtected,
    /// Deny everywhere except break-glass.
    DenyAll,
    /// Never deny; record every connection.
    RecordOnly,
}

policy_helpers::decode_by_serde!(Mode);

/// How Roles and ClusterRoles granting these subresources are handled.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RoleGrants {
    /// Accept with a warning and an audit annotation (default).
    #[default]
    Audit,
    /// Reject unless the role is exempt.
    Deny,
    /// Do not look at roles.
    Ignore,
}

policy_helpers::decode_by_serde!(RoleGrants);

policy_helpers::view! {
    /// Settings of `restrict-pod-exec-attach-portforward`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// `deny-protected` (default), `deny-all` or `record-only`.
        pub mode: Mode = "mode",
        /// The subresources controlled (default all three).
        pub subresources: Vec<String> = "subresources",
        /// Protected namespaces by name (globs); no lookup needed.
        pub protected_namespaces: Vec<String> = "protectedNamespaces",
        /// Protected namespaces by label (default `pci-scope=in-scope`); `null` turns the lookup off.
        pub protected_namespace_selector: Option<LabelSelector> = "protectedNamespaceSelector",
        /// Groups whose members may connect in protected namespaces (recorded).
        pub break_glass_groups: Vec<String> = "breakGlassGroups",
        /// Users who may connect in protected namespaces (recorded).
        pub break_glass_users: Vec<String> = "breakGlassUsers",
        /// Roles granting these subresources: `audit` (default), `deny` or `ignore`.
        pub role_grants: RoleGrants = "roleGrants",
        /// Roles not reported: `name` for ClusterRoles, `namespace/name` for Roles (globs).
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
            mode: Mode::DenyProtected,
            subresources: SUBRESOURCES.iter().map(|s| s.to_string()).collect(),
            protected_namespaces: Vec::new(),
            protected_namespace_selector: Some(LabelSelector {
                match_labels: BTreeMap::from([("pci-scope".into(), "in-scope".into())]),
                match_expressions: Vec::new(),
            }),
            break_glass_groups: Vec::new(),
            break_glass_users: Vec::new(),
            role_grants: RoleGrants::Audit,
            exempt_roles: DEFAULT_EXEMPT_ROLES.iter().map(|s| s.to_string()).collect(),
            aggregated_cluster_roles: AggregatedRoles::Warn,
            exemptions: Exemptions::default(),
        }
    }
}

/// The settings compiled for matching.
pub struct Compiled {
    /// `protectedNamespaces`.
    pub protected_namespaces: Vec<Glob>,
    /// `breakGlassGroups`.
    pub break_glass_groups: Vec<Glob>,
    /// `breakGlassUsers`.
    pub break_glass_users: Vec<Glob>,
    /// `exemptRoles`.
    pub exempt_roles: RolePatterns,
}

impl Settings {
    /// Compiles the patterns.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn compile(&self) -> Result<Compiled, String> {
        Ok(Compiled {
            protected_namespaces: compile_list("protectedNamespaces", &self.protected_namespaces)?,
            break_glass_groups: compile_list("breakGlassGroups", &self.break_glass_groups)?,
            break_glass_users: compile_list("breakGlassUsers", &self.break_glass_users)?,
            exempt_roles: RolePatterns::compile("exemptRoles", &self.exempt_roles)?,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.subresources.is_empty() {
            return Err(format!(
                "subresources is empty: list some of {}",
                SUBRESOURCES.join(", ")
            ));
        }
        for (i, s) in self.subresources.iter().enumerate() {
            if !SUBRESOURCES.contains(&s.as_str()) {
                return Err(format!(
                    "subresources[{i}]: {s:?} is not one of {}",
                    SUBRESOURCES.join(", ")
                ));
            }
        }
        if let Some(sel) = &self.protected_namespace_selector {
            sel.validate("protectedNamespaceSelector")?;
        }
        if self.mode == Mode::DenyProtected
            && self.protected_namespaces.is_empty()
            && self.protected_namespace_selector.is_none()
        {
            return Err(
                "mode deny-protected needs protectedNamespaces or protectedNamespaceSelector (or use mode record-only)"
                    .into(),
            );
        }
        self.compile().map(|_| ())
    }
}
