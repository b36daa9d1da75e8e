//! Settings: allowed domains and wildcard hosts, and whether hosts must be unique.

use policy_helpers::prelude::*;

use policy_helpers::net::check_host_pattern;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `ingress-host-hygiene`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Domains rule hosts must lie in (the domain itself or below it); empty: any domain.
        pub allowed_domains: Vec<String> = "allowedDomains",
        /// Wildcard hosts (`*.apps.contoso.com`) that may be used; empty: none.
        pub allow_wildcard: Vec<String> = "allowWildcard",
        /// Host and path must not already be served by another Ingress of the same class
        /// (context-aware; default true).
        pub require_unique: bool = "requireUnique",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allowed_domains: Vec::new(),
            allow_wildcard: Vec::new(),
            require_unique: true,
            exemptions: Exemptions::default(),
        }
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        for (i, d) in self.allowed_domains.iter().enumerate() {
            check_host_pattern(d, false).map_err(|e| format!("allowedDomains[{i}]: {e}"))?;
        }
        for (i, w) in self.allow_wildcard.iter().enumerate() {
            if !w.starts_with("*.") {
                return Err(format!(
                    "allowWildcard[{i}]: {w:?} is not a wildcard host (*.example.com)"
                ));
            }
            check_host_pattern(w, true).map_err(|e| format!("allowWildcard[{i}]: {e}"))?;
        }
        Ok(())
    }
}
