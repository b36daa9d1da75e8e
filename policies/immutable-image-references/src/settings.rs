//! Settings: denied tags, digest requirement, allowed pull policies, registries that need pull
//! secrets, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::Glob;
use policy_helpers::image::normalise_registry;
use policy_helpers::{Exemptions, PolicySettings};

/// The pull policies Kubernetes knows.
pub const PULL_POLICIES: &[&str] = &["Always", "IfNotPresent", "Never"];

policy_helpers::view! {
    /// Settings of `immutable-image-references`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Tags (exact or glob) that are mutable by convention and refused (default `["latest"]`).
        pub denied_tags: Vec<String> = "deniedTags",
        /// Whether every image must be pinned with `@sha256:…` (default false).
        pub require_digest: bool = "requireDigest",
        /// The `imagePullPolicy` values allowed (empty: any).
        pub allowed_pull_policies: Vec<String> = "allowedPullPolicies",
        /// Registries (host names, a leading `*.` allowed) whose images need `imagePullSecrets`.
        pub require_pull_secrets_for: Vec<String> = "requirePullSecretsFor",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            denied_tags: vec!["latest".to_string()],
            require_digest: false,
            allowed_pull_policies: Vec::new(),
            require_pull_secrets_for: Vec::new(),
            exemptions: Exemptions::default(),
        }
    }
}

/// The settings compiled for matching.
#[derive(Debug, Default)]
pub struct Compiled {
    /// Denied tags.
    pub denied_tags: Vec<Glob>,
    /// Registries that need pull secrets.
    pub pull_secret_registries: Vec<Glob>,
}

impl Settings {
    /// Compiles the patterns.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn compile(&self) -> Result<Compiled, String> {
        let denied_tags = self
            .denied_tags
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if t.contains('/') || t.contains(':') || t.contains('@') {
                    return Err(format!(
                        "deniedTags[{i}]: {t:?} is not a tag (write the tag alone, e.g. latest)"
                    ));
                }
                Glob::new(t).map_err(|e| format!("deniedTags[{i}]: {e}"))
            })
            .collect::<Result<_, _>>()?;
        let pull_secret_registries = self
            .require_pull_secrets_for
            .iter()
            .enumerate()
            .map(|(i, r)| {
                normalise_registry(r)
                    .and_then(|n| Glob::new(&n))
                    .map_err(|e| format!("requirePullSecretsFor[{i}]: {e}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Compiled {
            denied_tags,
            pull_secret_registries,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        for (i, p) in self.allowed_pull_policies.iter().enumerate() {
            if !PULL_POLICIES.contains(&p.as_str()) {
                return Err(format!(
                    "allowedPullPolicies[{i}]: {p:?} is not a pull policy (Always, IfNotPresent or Never)"
                ));
            }
        }
        self.compile().map(|_| ())
    }
}
