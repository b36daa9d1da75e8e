//! Settings: the denied namespaces, extra allowed objects, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::{Exemptions, PolicySettings};

/// The kinds that harden a namespace instead of running anything in it: a (deny-all)
/// NetworkPolicy, a ResourceQuota, a LimitRange. Microsoft's PCI reference applies them to
/// `default` on purpose, and Azure's built-in policy for this control matches only Pod, Service
/// and ServiceAccount; they are allowed by default.
pub const HARDENING_KINDS: &[&str] = &["NetworkPolicy", "ResourceQuota", "LimitRange"];

policy_helpers::view! {
    /// Settings of `block-default-namespace`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Namespaces nothing may be created in (default `["default"]`).
        pub denied_namespaces: Vec<String> = "deniedNamespaces",
        /// Objects allowed there anyway, as `Kind/name` (besides the Kubernetes built-ins).
        pub allowed_objects: Vec<String> = "allowedObjects",
        /// Kinds allowed there anyway, because they harden the namespace rather than run in it
        /// (default: NetworkPolicy, ResourceQuota, LimitRange).
        pub allowed_kinds: Vec<String> = "allowedKinds",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            denied_namespaces: vec!["default".to_string()],
            allowed_objects: Vec::new(),
            allowed_kinds: HARDENING_KINDS.iter().map(|k| (*k).to_string()).collect(),
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
        for (i, k) in self.allowed_kinds.iter().enumerate() {
            let valid = k.starts_with(|c: char| c.is_ascii_uppercase())
                && k.chars().all(|c| c.is_ascii_alphanumeric());
            if !valid {
                return Err(format!(
                    "allowedKinds[{i}]: {k:?} is not a kind (e.g. NetworkPolicy)"
                ));
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
