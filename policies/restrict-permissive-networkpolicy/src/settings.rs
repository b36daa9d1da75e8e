//! Settings: what counts as too broad, and the allowed exceptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::{Glob, compile_list};
use policy_helpers::net::{IpNet, PortSet};
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `restrict-permissive-networkpolicy`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// An `ipBlock` covering one of these without `except` is refused
        /// (default `0.0.0.0/0`, `::/0`).
        pub denied_cidrs: Vec<IpNet> = "deniedCIDRs",
        /// Egress may not reach these addresses (default the instance metadata endpoint
        /// `169.254.169.254/32`).
        pub metadata_endpoints: Vec<IpNet> = "metadataEndpoints",
        /// Ports a rule without peers (every source or destination) may open (default `[53]`,
        /// DNS).
        pub allow_any_peer_on_ports: PortSet = "allowAnyPeerOnPorts",
        /// Namespaces (names or globs) whose policies may use `namespaceSelector: {}`.
        pub allow_all_namespaces_selector: Vec<String> = "allowAllNamespacesSelector",
        /// Policies exempt from the checks, as `namespace/name` (each part a name or glob).
        pub exempt_policies: Vec<String> = "exemptPolicies",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            denied_cidrs: vec![
                IpNet::V4 { addr: 0, prefix: 0 },
                IpNet::V6 { addr: 0, prefix: 0 },
            ],
            metadata_endpoints: vec![IpNet::V4 {
                addr: u32::from(core::net::Ipv4Addr::new(169, 254, 169, 254)),
                prefix: 32,
            }],
            allow_any_peer_on_ports: PortSet::of(&[53]),
            allow_all_namespaces_selector: Vec::new(),
            exempt_policies: Vec::new(),
            exemptions: Exemptions::default(),
        }
    }
}

/// Compiles `exemptPolicies` into (namespace, name) globs.
///
/// # Errors
/// A message naming the offending entry.
pub fn exempt_policies(items: &[String]) -> Result<Vec<(Glob, Glob)>, String> {
    items
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (ns, name) = s
                .split_once('/')
                .filter(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('/'))
                .ok_or_else(|| format!("exemptPolicies[{i}]: {s:?} is not namespace/name"))?;
            let g = |p: &str| Glob::new(p).map_err(|e| format!("exemptPolicies[{i}]: {e}"));
            Ok((g(ns)?, g(name)?))
        })
        .collect()
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        compile_list(
            "allowAllNamespacesSelector",
            &self.allow_all_namespaces_selector,
        )?;
        exempt_policies(&self.exempt_policies)?;
        Ok(())
    }
}
