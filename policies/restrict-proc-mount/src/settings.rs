//! Settings: when an unmasked `/proc` is allowed, and the common exemptions.

use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// Settings of `restrict-proc-mount`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Settings {
    /// Allow `procMount: Unmasked` everywhere (default `false`).
    pub allow_unmasked: bool,
    /// Allow `procMount: Unmasked` in pods that run in a user namespace (`hostUsers: false`),
    /// as the PSS baseline does with the `UserNamespacesPodSecurityStandards` feature (default
    /// `false`).
    pub allow_unmasked_in_user_namespace: bool,
    /// Common exemptions.
    pub exemptions: Exemptions,
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }
}
