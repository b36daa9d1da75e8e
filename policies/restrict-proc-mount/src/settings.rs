//! Settings: when an unmasked `/proc` is allowed, and the common exemptions.

use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `restrict-proc-mount`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// Allow `procMount: Unmasked` everywhere (default `false`).
        pub allow_unmasked: bool = "allowUnmasked",
        /// Allow `procMount: Unmasked` in pods that run in a user namespace (`hostUsers: false`),
        /// as the PSS baseline does with the `UserNamespacesPodSecurityStandards` feature (default
        /// `false`).
        pub allow_unmasked_in_user_namespace: bool = "allowUnmaskedInUserNamespace",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }
}
