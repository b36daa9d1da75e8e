//! Settings: where public load balancers are allowed, and what their source ranges must look
//! like.

use policy_helpers::prelude::*;

use policy_helpers::glob::compile_list;
use policy_helpers::net::IpNet;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// The narrowest acceptable source range prefixes (a range broader than this is refused).
    #[derive(Debug, Clone)]
    pub struct MinPrefix [deny_unknown_fields] {
        /// Shortest IPv4 prefix length accepted (default 8).
        pub ipv4: u8 = "ipv4",
        /// Shortest IPv6 prefix length accepted (default 32).
        pub ipv6: u8 = "ipv6",
    }
}

impl Default for MinPrefix {
    fn default() -> Self {
        MinPrefix { ipv4: 8, ipv6: 32 }
    }
}

policy_helpers::view! {
    /// Settings of `internal-load-balancer-only`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Namespaces (names or globs) where a public load balancer may be created.
        pub allow_public_in_namespaces: Vec<String> = "allowPublicInNamespaces",
        /// Whether an allowed public load balancer must restrict its source ranges (default true).
        pub require_source_ranges: bool = "requireSourceRanges",
        /// Source ranges a public load balancer may not admit (a range covering one is refused).
        pub denied_source_ranges: Vec<IpNet> = "deniedSourceRanges",
        /// Shortest prefix lengths accepted for source ranges.
        pub min_source_range_prefix: MinPrefix = "minSourceRangePrefix" with(policy_helpers::strict::object),
        /// Azure service tags allowed in `service.beta.kubernetes.io/azure-allowed-service-tags`.
        pub allowed_service_tags: Vec<String> = "allowedServiceTags",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allow_public_in_namespaces: Vec::new(),
            require_source_ranges: true,
            denied_source_ranges: vec![
                IpNet::V4 { addr: 0, prefix: 0 },
                IpNet::V6 { addr: 0, prefix: 0 },
            ],
            min_source_range_prefix: MinPrefix::default(),
            allowed_service_tags: Vec::new(),
            exemptions: Exemptions::default(),
        }
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        compile_list("allowPublicInNamespaces", &self.allow_public_in_namespaces)?;
        if self.min_source_range_prefix.ipv4 > 32 {
            return Err("minSourceRangePrefix.ipv4: an IPv4 prefix length is at most 32".into());
        }
        if self.min_source_range_prefix.ipv6 > 128 {
            return Err("minSourceRangePrefix.ipv6: an IPv6 prefix length is at most 128".into());
        }
        for (i, t) in self.allowed_service_tags.iter().enumerate() {
            if t.is_empty() || t.contains(',') || t.contains(char::is_whitespace) {
                return Err(format!(
                    "allowedServiceTags[{i}]: {t:?} is not an Azure service tag"
                ));
            }
        }
        Ok(())
    }
}
