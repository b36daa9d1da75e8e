//! Settings: the allowed profile types and localhost profiles, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::pss::ProfilePolicy;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `restrict-apparmor`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Allowed profile types (default `RuntimeDefault`, `Localhost`: the PSS).
        pub allowed_profile_types: Vec<String> = "allowedProfileTypes",
        /// Allowed `Localhost` profile names (globs); empty allows every one.
        pub allowed_localhost_profiles: Vec<String> = "allowedLocalhostProfiles",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            allowed_profile_types: vec!["RuntimeDefault".into(), "Localhost".into()],
            allowed_localhost_profiles: Vec::new(),
            exemptions: Exemptions::default(),
        }
    }
}

impl Settings {
    /// The profile policy these settings describe.
    ///
    /// # Errors
    /// A message naming the offending key.
    pub fn profiles(&self) -> Result<ProfilePolicy, String> {
        ProfilePolicy::compile(
            &self.allowed_profile_types,
            &self.allowed_localhost_profiles,
        )
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        self.profiles().map(|_| ())
    }
}
