//! Settings: what counts as a default-deny NetworkPolicy, and where it is enforced.

use policy_helpers::prelude::*;

use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// Where the requirement is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnforcementPoint {
    /// Pod-bearing objects are admitted only into namespaces that have the policy (default).
    WorkloadAdmission,
    /// Existing `Namespace` objects are checked (background audit); workloads are not.
    NamespaceAudit,
    /// Both.
    Both,
}

policy_helpers::decode_by_serde!(EnforcementPoint);

impl EnforcementPoint {
    /// Whether workloads are checked.
    pub fn workloads(self) -> bool {
        matches!(
            self,
            EnforcementPoint::WorkloadAdmission | EnforcementPoint::Both
        )
    }

    /// Whether namespaces are checked.
    pub fn namespaces(self) -> bool {
        matches!(
            self,
            EnforcementPoint::NamespaceAudit | EnforcementPoint::Both
        )
    }
}

policy_helpers::view! {
    /// Settings of `require-default-deny-networkpolicy`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// The directions the default-deny policy must close (default `Ingress`, `Egress`).
        pub required_policy_types: Vec<String> = "requiredPolicyTypes",
        /// Egress rules that allow only DNS (port 53) do not spoil a default deny (default true).
        pub allow_dns_egress: bool = "allowDNSEgress",
        /// Where the requirement is enforced (default `workload-admission`).
        pub enforcement_point: EnforcementPoint = "enforcementPoint",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            required_policy_types: vec!["Ingress".into(), "Egress".into()],
            allow_dns_egress: true,
            enforcement_point: EnforcementPoint::WorkloadAdmission,
            exemptions: Exemptions::default(),
        }
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.required_policy_types.is_empty() {
            return Err(
                "requiredPolicyTypes is empty: any policy selecting every pod would count".into(),
            );
        }
        for (i, t) in self.required_policy_types.iter().enumerate() {
            if t != "Ingress" && t != "Egress" {
                return Err(format!(
                    "requiredPolicyTypes[{i}]: {t:?} is not a policy type (Ingress, Egress)"
                ));
            }
        }
        Ok(())
    }
}
