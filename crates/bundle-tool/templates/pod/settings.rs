//! Settings: the common `exemptions` block and the environment variable names to deny.

use policy_helpers::prelude::*;

use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `{{id}}`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Common exemptions (namespaces, images, service accounts, users, groups).
        pub exemptions: Exemptions = "exemptions",
        /// Environment variable names no container may define (compared exactly: the kubelet and
        /// the process read names case-sensitively).
        pub denied_env_names: Vec<String> = "deniedEnvNames",
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            exemptions: Exemptions::default(),
            denied_env_names: vec!["LD_PRELOAD".into()],
        }
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.denied_env_names.is_empty() {
            return Err("deniedEnvNames is empty: the policy would check nothing".into());
        }
        for (i, name) in self.denied_env_names.iter().enumerate() {
            if name.is_empty() || name.contains('=') {
                return Err(format!(
                    "deniedEnvNames[{i}]: {name:?} is not an environment variable name"
                ));
            }
        }
        Ok(())
    }
}
