//! Settings: the PSS level, the allowed profile types and localhost profiles, the opt-in
//! defaulting mode, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::pss::{Level, ProfilePolicy};
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `restrict-seccomp`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// `restricted` (default): every container must run with an allowed profile, set on the
        /// container or inherited from the pod. `baseline`: a container may leave it unset, only
        /// the profiles that are set are checked.
        pub level: Level = "level",
        /// Allowed profile types (default `RuntimeDefault`, `Localhost`).
        pub allowed_profile_types: Vec<String> = "allowedProfileTypes",
        /// Allowed `Localhost` profiles (globs over `localhostProfile`); empty allows every one.
        pub allowed_localhost_profiles: Vec<String> = "allowedLocalhostProfiles",
        /// Opt-in defaulting: containers without any profile get `RuntimeDefault` instead of a
        /// rejection (the module then mutates the object).
        pub default_to_runtime_default: bool = "defaultToRuntimeDefault",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            level: Level::Restricted,
            allowed_profile_types: vec!["RuntimeDefault".into(), "Localhost".into()],
            allowed_localhost_profiles: Vec::new(),
            default_to_runtime_default: false,
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
        let p = self.profiles()?;
        if self.default_to_runtime_default
            && !p
                .kinds
                .contains(&policy_helpers::pss::ProfileKind::RuntimeDefault)
        {
            return Err(
                "defaultToRuntimeDefault is true but allowedProfileTypes does not allow \
                 RuntimeDefault: the defaulted pods would be rejected"
                    .into(),
            );
        }
        Ok(())
    }
}
