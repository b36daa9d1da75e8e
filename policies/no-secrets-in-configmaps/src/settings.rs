//! Settings: sensitive and allowed keys, extra value patterns, exempt ConfigMaps, the entropy
//! threshold and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::identity::ServiceAccountPatterns as NamePatterns;
use policy_helpers::secrets::{
    self, DEFAULT_ALLOWED_NAMES, DEFAULT_ENTROPY_THRESHOLD, DEFAULT_SENSITIVE_NAMES, NameRules,
    Scanner,
};
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `no-secrets-in-configmaps`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Globs over normalised keys that hold credentials (replaces the default list).
        pub denied_key_patterns: Vec<String> = "deniedKeyPatterns",
        /// Globs over normalised keys that are never sensitive (replaces the default list).
        pub allowed_keys: Vec<String> = "allowedKeys",
        /// Extra globs over whole values that count as secrets (`*` matches anything).
        pub value_patterns: Vec<String> = "valuePatterns",
        /// ConfigMaps never checked: `name` or `namespace/name`, globs.
        pub exempt_config_maps: Vec<String> = "exemptConfigMaps",
        /// Whether values are scanned by the secret detectors.
        pub scan_values: bool = "scanValues",
        /// Entropy threshold in bits per character (0 turns the entropy detector off).
        pub entropy_threshold: f64 = "entropyThreshold",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            denied_key_patterns: secrets::defaults(DEFAULT_SENSITIVE_NAMES),
            allowed_keys: secrets::defaults(DEFAULT_ALLOWED_NAMES),
            value_patterns: Vec::new(),
            exempt_config_maps: vec!["kube-root-ca.crt".to_string()],
            scan_values: true,
            entropy_threshold: DEFAULT_ENTROPY_THRESHOLD,
            exemptions: Exemptions::default(),
        }
    }
}

/// The settings compiled for matching.
pub struct Compiled {
    /// The detectors, with the key rules.
    pub scanner: Scanner,
    /// The exempt ConfigMaps.
    pub exempt: NamePatterns,
}

impl Settings {
    /// Compiles the settings.
    ///
    /// # Errors
    /// A message naming the offending key.
    pub fn compile(&self) -> Result<Compiled, String> {
        Ok(Compiled {
            scanner: Scanner {
                entropy_threshold: secrets::entropy_setting(
                    "entropyThreshold",
                    self.entropy_threshold,
                )?,
                names: NameRules::new(
                    "deniedKeyPatterns",
                    &self.denied_key_patterns,
                    "allowedKeys",
                    &self.allowed_keys,
                )?,
                assignments: true,
                value_patterns: secrets::compile_value_patterns(
                    "valuePatterns",
                    &self.value_patterns,
                )?,
            },
            exempt: NamePatterns::new("exemptConfigMaps", &self.exempt_config_maps)?,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.denied_key_patterns.is_empty() && !self.scan_values {
            return Err(
                "deniedKeyPatterns is empty and scanValues is false: the policy would check nothing"
                    .into(),
            );
        }
        self.compile().map(|_| ())
    }
}
