//! Settings: allowed and denied registries and image patterns, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::Glob;
use policy_helpers::image::{ImagePattern, normalise_registry};
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `allowed-image-registries`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// Registries whose every image is allowed, e.g. `myacr.azurecr.io`, `*.azurecr.io`.
        pub allowed_registries: Vec<String> = "allowedRegistries",
        /// Image patterns allowed, e.g. `mcr.microsoft.com/oss/kubernetes/**`.
        pub allowed_images: Vec<String> = "allowedImages",
        /// Registries denied, even when an allow entry matches.
        pub denied_registries: Vec<String> = "deniedRegistries",
        /// Image patterns denied, even when an allow entry matches.
        pub denied_images: Vec<String> = "deniedImages",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

/// The settings compiled for matching.
#[derive(Debug, Default)]
pub struct Compiled {
    /// Allowed registries.
    pub allowed_registries: Vec<Glob>,
    /// Allowed image patterns.
    pub allowed_images: Vec<ImagePattern>,
    /// Denied registries.
    pub denied_registries: Vec<Glob>,
    /// Denied image patterns.
    pub denied_images: Vec<ImagePattern>,
}

fn registries(key: &str, list: &[String]) -> Result<Vec<Glob>, String> {
    list.iter()
        .enumerate()
        .map(|(i, r)| {
            normalise_registry(r)
                .and_then(|n| Glob::new(&n))
                .map_err(|e| format!("{key}[{i}]: {e}"))
        })
        .collect()
}

fn images(key: &str, list: &[String]) -> Result<Vec<ImagePattern>, String> {
    list.iter()
        .enumerate()
        .map(|(i, p)| ImagePattern::new(p).map_err(|e| format!("{key}[{i}]: {e}")))
        .collect()
}

impl Settings {
    /// Compiles the lists.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn compile(&self) -> Result<Compiled, String> {
        Ok(Compiled {
            allowed_registries: registries("allowedRegistries", &self.allowed_registries)?,
            allowed_images: images("allowedImages", &self.allowed_images)?,
            denied_registries: registries("deniedRegistries", &self.denied_registries)?,
            denied_images: images("deniedImages", &self.denied_images)?,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.allowed_registries.is_empty() && self.allowed_images.is_empty() {
            return Err(
                "allowedRegistries and allowedImages are both empty: no image would be allowed; \
                 list at least one registry (e.g. myacr.azurecr.io) or image pattern"
                    .into(),
            );
        }
        self.compile().map(|_| ())
    }
}
