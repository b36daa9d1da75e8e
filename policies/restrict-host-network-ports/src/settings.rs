//! Settings: host network, allowed host port ranges, and the common exemptions.

use policy_helpers::ranges::{Range, check_all};
use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// Settings of `restrict-host-network-ports`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Settings {
    /// Allow `hostNetwork: true` (default `false`).
    pub allow_host_network: bool,
    /// Host port ranges allowed (`{min, max}`, inclusive, 1-65535); empty (the default) allows
    /// no host port.
    pub allowed_host_ports: Vec<Range>,
    /// Common exemptions (namespaces, images, service accounts, users, groups).
    pub exemptions: Exemptions,
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        check_all("allowedHostPorts", &self.allowed_host_ports, 1, 65535)
    }
}
