//! Settings: the denied namespaces, extra allowed objects, and the common exemptions.

use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// Settings of `block-default-namespace`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Settings {
    /// Namespaces nothing may be created in (default `["default"]`).
    pub denied_namespaces: Vec<String>,
    /// Objects allowed there anyway, as `Kind/name` (besides the Kubernetes built-ins).
    pub allowed_objects: Vec<String>,
    /// Common exemptions.
    pub exemptions: Exemptions,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            denied_namespaces: vec!["default".to_string()],
            allowed_objects: Vec::new(),
            exemptions: Exemptions::default(),
        }
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.denied_namespaces.is_empty() {
            return Err("deniedNamespaces is empty: the policy would check nothing".into());
        }
        for (i, ns) in self.denied_namespaces.iter().enumerate() {
            if !is_dns_label(ns) {
                return Err(format!(
                    "deniedNamespaces[{i}]: {ns:?} is not a namespace name"
                ));
            }
        }
        for (i, o) in self.allowed_objects.iter().enumerate() {
            match o.split_once('/') {
                Some((k, n)) if !k.is_empty() && !n.is_empty() && !n.contains('/') => {}
                _ => return Err(format!("allowedObjects[{i}]: {o:?} is not Kind/name")),
            }
        }
        Ok(())
    }
}

fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}
