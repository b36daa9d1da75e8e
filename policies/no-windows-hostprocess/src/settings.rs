//! Settings: only the common `exemptions` block.

use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// Settings of `no-windows-hostprocess`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Settings {
    /// Common exemptions (namespaces, images, service accounts, users, groups).
    pub exemptions: Exemptions,
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }
}
