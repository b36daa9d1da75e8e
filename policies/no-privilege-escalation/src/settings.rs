//! Settings: whether an unset field is refused, the defaulting mode, and the common exemptions.

use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `no-privilege-escalation`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Refuse containers that leave `allowPrivilegeEscalation` unset (the kernel default is to
        /// allow it). `true` by default, as the Pod Security Standards `restricted` level; `false`
        /// refuses only an explicit `true`.
        pub require_explicit_false: bool = "requireExplicitFalse",
        /// Defaulting mode: set `allowPrivilegeEscalation: false` where it is unset and return the
        /// mutated object instead of rejecting. Explicit `true`, privileged containers and
        /// `CAP_SYS_ADMIN` are still rejected.
        pub mutate: bool = "mutate",
        /// Common exemptions (namespaces, images, service accounts, users, groups).
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            require_explicit_false: true,
            mutate: false,
            exemptions: Exemptions::default(),
        }
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }
}
