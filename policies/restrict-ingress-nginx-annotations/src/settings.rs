//! Settings: the annotation prefixes the controller reads, the namespaces allowed to use
//! snippets, and the controller ConfigMaps to guard.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::{Exemptions, PolicySettings};

/// The controller's default `--annotations-prefix`.
pub const DEFAULT_PREFIX: &str = "nginx.ingress.kubernetes.io";

/// The ConfigMap of the AKS application routing add-on's controller: the add-on runs
/// ingress-nginx in `app-routing-system` with `--configmap=$(POD_NAMESPACE)/nginx`. Not a
/// default: the add-on's operator writes it itself with `allow-snippet-annotations: "true"` and
/// `annotations-risk-level: Critical` (aks-app-routing-operator, `pkg/manifests` nginx fixtures)
/// and reconciles it, so guarding it would refuse the add-on's own writes (README).
pub const APP_ROUTING_CONFIGMAP: &str = "app-routing-system/nginx";

/// The ConfigMap of the upstream Helm chart installed as release `ingress-nginx` in namespace
/// `ingress-nginx` (the chart names it `<fullname>-controller`).
pub const UPSTREAM_CHART_CONFIGMAP: &str = "ingress-nginx/ingress-nginx-controller";

policy_helpers::view! {
    /// Settings of `restrict-ingress-nginx-annotations`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// The controllers' `--annotations-prefix` values: annotations `<prefix>/<name>` are
        /// judged (default `nginx.ingress.kubernetes.io`).
        pub annotation_prefixes: Vec<String> = "annotationPrefixes",
        /// Namespace → snippet annotation names (without prefix, e.g. `configuration-snippet`) or
        /// `*` that Ingresses of that namespace may carry. Empty: snippets nowhere.
        pub allowed_snippets: BTreeMap<String, Vec<String>> = "allowedSnippets",
        /// The controllers' ConfigMaps as `namespace/name` (the `--configmap` flag's form).
        pub controller_config_maps: Vec<String> = "controllerConfigMaps",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            annotation_prefixes: vec![DEFAULT_PREFIX.to_string()],
            allowed_snippets: BTreeMap::new(),
            controller_config_maps: vec![UPSTREAM_CHART_CONFIGMAP.to_string()],
            exemptions: Exemptions::default(),
        }
    }
}

impl Settings {
    /// Whether an Ingress in `namespace` may carry the snippet annotation `name`.
    pub fn snippet_allowed(&self, namespace: &str, name: &str) -> bool {
        self.allowed_snippets.get(namespace).is_some_and(|names| {
            names
                .iter()
                .any(|n| n == "*" || n.eq_ignore_ascii_case(name))
        })
    }

    /// Whether `namespace/name` is one of the guarded controller ConfigMaps.
    pub fn guards_config_map(&self, namespace: &str, name: &str) -> bool {
        self.controller_config_maps.iter().any(|c| {
            c.split_once('/')
                .is_some_and(|(ns, n)| ns == namespace && n == name)
        })
    }
}

/// A DNS subdomain as Kubernetes requires for an annotation key's prefix: lower-case letters,
/// digits, `-` and `.`, labels starting and ending with a letter or digit, at most 253 bytes.
fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.annotation_prefixes.is_empty() {
            return Err(format!(
                "annotationPrefixes is empty: no annotation would be judged (the controller's default is {DEFAULT_PREFIX})"
            ));
        }
        for (i, p) in self.annotation_prefixes.iter().enumerate() {
            if !is_dns_subdomain(p) {
                return Err(format!(
                    "annotationPrefixes[{i}]: {p:?} is not an annotation prefix (a lower-case DNS subdomain without `/`, as in {DEFAULT_PREFIX})"
                ));
            }
        }
        for (ns, names) in &self.allowed_snippets {
            if ns.trim().is_empty() {
                return Err("allowedSnippets: empty namespace name".into());
            }
            if names.is_empty() {
                return Err(format!(
                    "allowedSnippets.{ns}: empty list allows nothing; remove the entry or name the snippets"
                ));
            }
            for (i, n) in names.iter().enumerate() {
                if n == "*" {
                    continue;
                }
                if n.contains('/') {
                    return Err(format!(
                        "allowedSnippets.{ns}[{i}]: {n:?} has a prefix; give the name after it (e.g. configuration-snippet)"
                    ));
                }
                if !crate::nginx::is_snippet(n) {
                    return Err(format!(
                        "allowedSnippets.{ns}[{i}]: {n:?} is not a snippet annotation (a name ending in -snippet, or *)"
                    ));
                }
            }
        }
        for (i, c) in self.controller_config_maps.iter().enumerate() {
            let ok = c
                .split_once('/')
                .is_some_and(|(ns, n)| !ns.is_empty() && !n.is_empty() && !n.contains('/'));
            if !ok {
                return Err(format!(
                    "controllerConfigMaps[{i}]: {c:?} is not namespace/name (as the controller's --configmap flag)"
                ));
            }
        }
        Ok(())
    }
}
