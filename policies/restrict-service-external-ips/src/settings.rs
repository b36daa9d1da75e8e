//! Settings: the external IPs (addresses or CIDRs) Services may claim.

use policy_helpers::prelude::*;

use policy_helpers::net::IpNet;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `restrict-service-external-ips`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// Addresses or CIDRs a Service's `spec.externalIPs` may use (default none).
        pub allowed_external_ips: Vec<IpNet> = "allowedExternalIPs",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }
}
