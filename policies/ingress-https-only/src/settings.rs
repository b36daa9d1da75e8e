//! Settings: the controllers behind the ingress classes, and what HTTPS requires.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// How a controller serves TLS and disables plain HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Controller {
    /// Application Gateway Ingress Controller: `spec.tls` or the
    /// `appgw.ingress.kubernetes.io/appgw-ssl-certificate` annotation; HTTP redirected only
    /// with `appgw.ingress.kubernetes.io/ssl-redirect: "true"`.
    Agic,
    /// ingress-nginx: `spec.tls`; HTTP redirected unless
    /// `nginx.ingress.kubernetes.io/ssl-redirect: "false"` (and no `force-ssl-redirect`).
    Nginx,
    /// Controllers that honour `kubernetes.io/ingress.allow-http: "false"`.
    Gce,
    /// Only TLS coverage is checked; disabling HTTP is the controller's own configuration.
    TlsOnly,
}

policy_helpers::decode_by_serde!(Controller);

impl Controller {
    /// The settings spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Controller::Agic => "agic",
            Controller::Nginx => "nginx",
            Controller::Gce => "gce",
            Controller::TlsOnly => "tls-only",
        }
    }
}

/// What to do with an Ingress whose class maps to no known controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownAction {
    /// Reject: HTTPS cannot be verified (the default).
    Deny,
    /// Check TLS coverage only.
    TlsOnly,
}

policy_helpers::decode_by_serde!(UnknownAction);

policy_helpers::view! {
    /// Settings of `ingress-https-only`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Every rule host must be covered by TLS (default true); false: at least one TLS entry.
        pub require_tls_for_all_hosts: bool = "requireTLSForAllHosts",
        /// Plain HTTP must be disabled or redirected, as the controller understands it (default true).
        pub require_redirect: bool = "requireRedirect",
        /// Ingress class name to controller. Replaces the default map when given.
        pub controllers: BTreeMap<String, Controller> = "controllers",
        /// The class assumed for an Ingress that names none (the cluster's default class).
        pub default_class: Option<String> = "defaultClass",
        /// Classes whose controller serves a real default certificate (ingress-nginx's
        /// `--default-ssl-certificate`, the App Routing add-on's `defaultSSLCertificate`): a TLS
        /// entry without `secretName` gets that certificate and covers its hosts.
        pub default_certificate_classes: Vec<String> = "defaultCertificateClasses",
        /// What to do with a class that is not in `controllers` (default `deny`).
        pub unknown_controller_action: UnknownAction = "unknownControllerAction",
        /// Protocols allowed on Gateway API listeners (default `HTTPS`, `TLS`).
        pub gateway_protocols: Vec<String> = "gatewayProtocols",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        let controllers = [
            ("azure-application-gateway", Controller::Agic),
            ("azure/application-gateway", Controller::Agic),
            ("nginx", Controller::Nginx),
            ("webapprouting.kubernetes.azure.com", Controller::Nginx),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Settings {
            require_tls_for_all_hosts: true,
            require_redirect: true,
            controllers,
            default_class: None,
            default_certificate_classes: Vec::new(),
            unknown_controller_action: UnknownAction::Deny,
            gateway_protocols: vec!["HTTPS".into(), "TLS".into()],
            exemptions: Exemptions::default(),
        }
    }
}

/// The Gateway API listener protocols.
pub const GATEWAY_PROTOCOLS: &[&str] = &["HTTP", "HTTPS", "TLS", "TCP", "UDP"];

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if let Some(k) = self.controllers.keys().find(|k| k.is_empty()) {
            return Err(format!(
                "controllers: {k:?} is not an ingress class name (use defaultClass for Ingresses without a class)"
            ));
        }
        if let Some(c) = &self.default_class
            && c.is_empty()
        {
            return Err("defaultClass: empty class name".into());
        }
        if let Some(i) = self
            .default_certificate_classes
            .iter()
            .position(String::is_empty)
        {
            return Err(format!("defaultCertificateClasses[{i}]: empty class name"));
        }
        for (i, p) in self.gateway_protocols.iter().enumerate() {
            if !GATEWAY_PROTOCOLS.contains(&p.as_str()) {
                return Err(format!(
                    "gatewayProtocols[{i}]: {p:?} is not a listener protocol ({})",
                    GATEWAY_PROTOCOLS.join(", ")
                ));
            }
        }
        Ok(())
    }
}
