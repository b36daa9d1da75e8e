//! Settings: Secrets that may be read into the environment, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::Glob;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `secrets-as-volumes-not-env`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// Secret names (exact or glob) that may still be read through `env`/`envFrom`.
        pub allowed_secret_names: Vec<String> = "allowedSecretNames",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Settings {
    /// The allowed names, compiled.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn allowed(&self) -> Result<Vec<Glob>, String> {
        self.allowed_secret_names
            .iter()
            .enumerate()
            .map(|(i, p)| Glob::new(p).map_err(|e| format!("allowedSecretNames[{i}]: {e}")))
            .collect()
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        self.allowed().map(|_| ())
    }
}
