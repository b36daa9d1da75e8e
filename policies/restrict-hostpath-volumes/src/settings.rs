//! Settings: the allowed host path prefixes, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::hostpath::normalise;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// One allowed prefix.
    #[derive(Debug, Clone, Default)]
    pub struct AllowedHostPath [deny_unknown_fields] {
        /// Absolute path; the volume's path must be it or below it, by component.
        pub path_prefix: String = "pathPrefix" required,
        /// Every mount of a volume under this prefix must be `readOnly: true`.
        pub read_only: bool = "readOnly",
    }
}

policy_helpers::view! {
    /// Settings of `restrict-hostpath-volumes`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// The allowed prefixes; empty (the default) allows no `hostPath` volume at all.
        pub allowed_host_paths: Vec<AllowedHostPath> = "allowedHostPaths",
        /// Common exemptions (namespaces, images, service accounts, users, groups).
        pub exemptions: Exemptions = "exemptions",
    }
}

/// A prefix in normal form.
#[derive(Debug, Clone)]
pub struct Prefix {
    /// Normalised path.
    pub path: String,
    /// Mounts must be read-only.
    pub read_only: bool,
}

impl Settings {
    /// The prefixes, normalised.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn prefixes(&self) -> Result<Vec<Prefix>, String> {
        self.allowed_host_paths
            .iter()
            .enumerate()
            .map(|(i, a)| {
                normalise(&a.path_prefix)
                    .map(|path| Prefix {
                        path,
                        read_only: a.read_only,
                    })
                    .map_err(|e| format!("allowedHostPaths[{i}].pathPrefix: {e}"))
            })
            .collect()
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        self.prefixes().map(|_| ())
    }
}
