//! Settings: the approved ingress classes and controllers.

use policy_helpers::prelude::*;

use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `restrict-ingress-class`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Ingress class names an Ingress may use and an IngressClass may have.
        pub allowed_ingress_classes: Vec<String> = "allowedIngressClasses",
        /// An Ingress must name its class (default true): otherwise the cluster's default class,
        /// whatever it is, takes it.
        pub require_explicit_class: bool = "requireExplicitClass",
        /// `spec.controller` values an IngressClass may have; empty: any.
        pub allowed_controllers: Vec<String> = "allowedControllers",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allowed_ingress_classes: vec![
                "azure-application-gateway".into(),
                "azure/application-gateway".into(),
                "webapprouting.kubernetes.azure.com".into(),
            ],
            require_explicit_class: true,
            allowed_controllers: Vec::new(),
            exemptions: Exemptions::default(),
        }
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.allowed_ingress_classes.is_empty() {
            return Err("allowedIngressClasses is empty: every Ingress would be rejected".into());
        }
        for (key, list) in [
            ("allowedIngressClasses", &self.allowed_ingress_classes),
            ("allowedControllers", &self.allowed_controllers),
        ] {
            if let Some(i) = list.iter().position(|c| c.trim().is_empty()) {
                return Err(format!("{key}[{i}]: empty name"));
            }
        }
        Ok(())
    }
}
