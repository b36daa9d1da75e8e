//! Settings: where the ConfigMap and the CoreDNS Deployment are, the required plugins, what the
//! Deployment check does, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// What the check of the CoreDNS Deployment does when logging is not on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeploymentCheck {
    /// Reject the Deployment (and report it in background audit).
    #[default]
    Deny,
    /// Accept it with a warning.
    Warn,
    /// Do not look.
    Off,
}

policy_helpers::decode_by_serde!(DeploymentCheck);

policy_helpers::view! {
    /// Settings of `coredns-query-logging`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Namespace of the ConfigMap and the Deployment.
        pub namespace: String = "namespace",
        /// The custom CoreDNS ConfigMap (AKS: `coredns-custom`).
        pub config_map_name: String = "configMapName",
        /// Plugins an override must enable (default `[log]`).
        pub required_plugins: Vec<String> = "requiredPlugins",
        /// The CoreDNS Deployment (AKS: `coredns`).
        pub deployment_name: String = "deploymentName",
        /// What a CREATE/UPDATE of the Deployment does when the ConfigMap lacks the plugins.
        pub deployment_check: DeploymentCheck = "deploymentCheck",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            namespace: "kube-system".into(),
            config_map_name: "coredns-custom".into(),
            required_plugins: vec!["log".into()],
            deployment_name: "coredns".into(),
            deployment_check: DeploymentCheck::Deny,
            exemptions: Exemptions::default(),
        }
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        for (key, v) in [
            ("namespace", &self.namespace),
            ("configMapName", &self.config_map_name),
            ("deploymentName", &self.deployment_name),
        ] {
            if !is_name(v) {
                return Err(format!("{key}: {v:?} is not an object name"));
            }
        }
        if self.required_plugins.is_empty() {
            return Err("requiredPlugins is empty: the policy would check nothing".into());
        }
        for (i, p) in self.required_plugins.iter().enumerate() {
            if p.is_empty() || p.contains(char::is_whitespace) || p.contains(['{', '}', '#']) {
                return Err(format!(
                    "requiredPlugins[{i}]: {p:?} is not a CoreDNS plugin name"
                ));
            }
        }
        Ok(())
    }
}
