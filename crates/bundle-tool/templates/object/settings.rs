//! Settings: the common `exemptions` block and the label keys every object must carry.

use policy_helpers::prelude::*;

use policy_helpers::labels::is_valid_key;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `{{id}}`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Common exemptions (namespaces, users, groups; images and service accounts apply to
        /// pod-bearing kinds only, which this policy does not judge).
        pub exemptions: Exemptions = "exemptions",
        /// Label keys every judged object must carry with a non-empty value.
        pub required_labels: Vec<String> = "requiredLabels",
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            exemptions: Exemptions::default(),
            required_labels: vec!["app.kubernetes.io/name".into()],
        }
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.required_labels.is_empty() {
            return Err("requiredLabels is empty: the policy would check nothing".into());
        }
        for (i, key) in self.required_labels.iter().enumerate() {
            if !is_valid_key(key) {
                return Err(format!(
                    "requiredLabels[{i}]: {key:?} is not a valid label key"
                ));
            }
        }
        Ok(())
    }
}
