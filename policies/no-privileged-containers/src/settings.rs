//! Settings: only the common `exemptions` block.

use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `no-privileged-containers`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// Common exemptions (namespaces, images, service accounts, users, groups).
        pub exemptions: Exemptions = "exemptions",
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }
}
