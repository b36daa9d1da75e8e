//! Settings: host network, allowed host port ranges, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::ranges::{Range, check_all};
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `restrict-host-network-ports`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// Allow `hostNetwork: true` (default `false`).
        pub allow_host_network: bool = "allowHostNetwork",
        /// Host port ranges allowed (`{min, max}`, inclusive, 1-65535); empty (the default) allows
        /// no host port.
        pub allowed_host_ports: Vec<Range> = "allowedHostPorts",
        /// Common exemptions (namespaces, images, service accounts, users, groups).
        pub exemptions: Exemptions = "exemptions",
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        check_all("allowedHostPorts", &self.allowed_host_ports, 1, 65535)
    }
}
