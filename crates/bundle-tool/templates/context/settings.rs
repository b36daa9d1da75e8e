//! Settings: the common `exemptions` block and the label the target Namespace must carry.

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
        /// The label key the object's Namespace must carry with a non-empty value.
        pub required_namespace_label: String = "requiredNamespaceLabel",
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            exemptions: Exemptions::default(),
            required_namespace_label: "owner".into(),
        }
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if !is_valid_key(&self.required_namespace_label) {
            return Err(format!(
                "requiredNamespaceLabel: {:?} is not a valid label key",
                self.required_namespace_label
            ));
        }
        Ok(())
    }
}
