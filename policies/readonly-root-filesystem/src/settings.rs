//! Settings: the defaulting mode and the common exemptions.

use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `readonly-root-filesystem`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// Defaulting mode: set `readOnlyRootFilesystem: true` where it is unset and return the
        /// mutated object instead of rejecting. An explicit `false` is still rejected.
        pub mutate: bool = "mutate",
        /// Common exemptions (namespaces, images, service accounts, users, groups).
        pub exemptions: Exemptions = "exemptions",
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }
}
