//! Settings: the identities that manage nodes, the protected labels and taints, and the
//! common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::{Glob, compile_list};
use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// Users that manage nodes on AKS by default: the kubelet client `nodeclient`, the AKS
/// resource provider (`aksService`, formerly `acsService`), the controllers that taint and
/// delete nodes (node lifecycle controller, cloud node manager, with or without service
/// account credentials) and the virtual-node connector.
pub const DEFAULT_ALLOWED_USERS: &[&str] = &[
    "nodeclient",
    "aksService",
    "acsService",
    "system:kube-controller-manager",
    "system:serviceaccount:kube-system:node-controller",
    "system:serviceaccount:kube-system:cloud-node-manager",
    "system:serviceaccount:kube-system:aci-connector-linux",
];

/// Groups that manage nodes by default: the kubelets (`system:node:<name>` users).
pub const DEFAULT_ALLOWED_GROUPS: &[&str] = &["system:nodes"];

/// Label keys that place workloads and are protected by default: AKS's own labels, the
/// `agentpool` label, the PCI scope label, and the node-role and node-restriction prefixes.
pub const DEFAULT_PROTECTED_LABELS: &[&str] = &[
    "kubernetes.azure.com/*",
    "agentpool",
    "pci-scope",
    "node-role.kubernetes.io/*",
    "node-restriction.kubernetes.io/*",
];

/// Taint keys protected by default: the system node pool taint and AKS's own taints.
pub const DEFAULT_PROTECTED_TAINTS: &[&str] = &["CriticalAddonsOnly", "kubernetes.azure.com/*"];

/// What happens to a Node DELETE by an identity outside the allowed ones.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NodeDelete {
    /// Accept with a warning and an audit annotation (default).
    #[default]
    Record,
    /// Reject.
    Deny,
    /// Accept silently.
    Allow,
}

policy_helpers::decode_by_serde!(NodeDelete);

fn strings(l: &[&str]) -> Vec<String> {
    l.iter().map(|s| s.to_string()).collect()
}

policy_helpers::view! {
    /// Settings of `protect-nodes`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Users that may change nodes (globs).
        pub allowed_users: Vec<String> = "allowedUsers",
        /// Groups whose members may change nodes (globs).
        pub allowed_groups: Vec<String> = "allowedGroups",
        /// Protected label keys (globs).
        pub protected_labels: Vec<String> = "protectedLabels",
        /// Protected taint keys (globs).
        pub protected_taints: Vec<String> = "protectedTaints",
        /// Deny every change of an individual node's labels, annotations or spec (cordon
        /// included) by other identities, not only protected labels and taints.
        pub deny_all_edits: bool = "denyAllEdits",
        /// Node DELETE by other identities: `record` (default), `deny` or `allow`.
        pub node_delete: NodeDelete = "nodeDelete",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allowed_users: strings(DEFAULT_ALLOWED_USERS),
            allowed_groups: strings(DEFAULT_ALLOWED_GROUPS),
            protected_labels: strings(DEFAULT_PROTECTED_LABELS),
            protected_taints: strings(DEFAULT_PROTECTED_TAINTS),
            deny_all_edits: false,
            node_delete: NodeDelete::Record,
            exemptions: Exemptions::default(),
        }
    }
}

/// The settings compiled for matching.
pub struct Compiled {
    /// `allowedUsers`.
    pub allowed_users: Vec<Glob>,
    /// `allowedGroups`.
    pub allowed_groups: Vec<Glob>,
    /// `protectedLabels`.
    pub protected_labels: Vec<Glob>,
    /// `protectedTaints`.
    pub protected_taints: Vec<Glob>,
}

impl Settings {
    /// Compiles the patterns.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn compile(&self) -> Result<Compiled, String> {
        Ok(Compiled {
            allowed_users: compile_list("allowedUsers", &self.allowed_users)?,
            allowed_groups: compile_list("allowedGroups", &self.allowed_groups)?,
            protected_labels: compile_list("protectedLabels", &self.protected_labels)?,
            protected_taints: compile_list("protectedTaints", &self.protected_taints)?,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.protected_labels.is_empty()
            && self.protected_taints.is_empty()
            && !self.deny_all_edits
            && self.node_delete == NodeDelete::Allow
        {
            return Err("protectedLabels and protectedTaints are empty, denyAllEdits is false and nodeDelete is allow: the policy would check nothing".into());
        }
        self.compile().map(|_| ())
    }
}
