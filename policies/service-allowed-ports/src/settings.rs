//! Settings: the allowed Service ports, target ports and container ports.

use policy_helpers::prelude::*;

use policy_helpers::net::PortSet;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `service-allowed-ports`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Ports and ranges a Service may listen on (`spec.ports[].port`); default `[80, 443]`.
        pub allowed_service_ports: PortSet = "allowedServicePorts",
        /// Ports, ranges and names `spec.ports[].targetPort` may use; empty: not checked.
        pub allowed_target_ports: PortSet = "allowedTargetPorts",
        /// Ports and ranges containers may declare (`ports[].containerPort`); empty: not checked.
        pub allowed_container_ports: PortSet = "allowedContainerPorts",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allowed_service_ports: PortSet::of(&[80, 443]),
            allowed_target_ports: PortSet::default(),
            allowed_container_ports: PortSet::default(),
            exemptions: Exemptions::default(),
        }
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.allowed_service_ports.is_empty() {
            return Err(
                "allowedServicePorts is empty: every Service with a port would be rejected".into(),
            );
        }
        if let Some(i) = self
            .allowed_service_ports
            .0
            .iter()
            .position(|p| matches!(p, policy_helpers::net::PortSpec::Name(_)))
        {
            return Err(format!(
                "allowedServicePorts[{i}]: a Service port is a number, not a name"
            ));
        }
        if let Some(i) = self
            .allowed_container_ports
            .0
            .iter()
            .position(|p| matches!(p, policy_helpers::net::PortSpec::Name(_)))
        {
            return Err(format!(
                "allowedContainerPorts[{i}]: containerPort is a number, not a name"
            ));
        }
        Ok(())
    }
}
