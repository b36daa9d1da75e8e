//! Settings: the defaulting mode and the common exemptions.

use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// Settings of `readonly-root-filesystem`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Settings {
    /// Defaulting mode: set `readOnlyRootFilesystem: true` where it is unset and return the
    /// mutated object instead of rejecting. An explicit `false` is still rejected.
    pub mutate: bool,
    /// Common exemptions (namespaces, images, service accounts, users, groups).
    pub exemptions: Exemptions,
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }
}
