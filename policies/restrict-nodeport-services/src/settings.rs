//! Settings: the namespaces where NodePort Services are allowed.

use policy_helpers::prelude::*;

use policy_helpers::glob::compile_list;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `restrict-nodeport-services`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// Namespaces (names or globs) where NodePort Services may be created.
        pub allow_namespaces: Vec<String> = "allowNamespaces",
        /// Also refuse `LoadBalancer` Services that pin a `nodePort` explicitly (default false).
        pub deny_explicit_node_ports: bool = "denyExplicitNodePorts",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        compile_list("allowNamespaces", &self.allow_namespaces).map(|_| ())
    }
}
