//! Settings: the external IPs (addresses or CIDRs) Services may claim.

use policy_helpers::net::IpNet;
use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// Settings of `restrict-service-external-ips`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Settings {
    /// Addresses or CIDRs a Service's `spec.externalIPs` may use (default none).
    #[serde(rename = "allowedExternalIPs")]
    pub allowed_external_ips: Vec<IpNet>,
    /// Common exemptions.
    pub exemptions: Exemptions,
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }
}
