//! Settings: sensitive and allowed names, which detectors run, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::secrets::{
    self, DEFAULT_ALLOWED_NAMES, DEFAULT_ENTROPY_THRESHOLD, DEFAULT_SENSITIVE_NAMES, NameRules,
    Scanner,
};
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `no-secrets-in-env`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Globs over normalised variable names that hold credentials (replaces the default list).
        pub denied_name_patterns: Vec<String> = "deniedNamePatterns",
        /// Globs over normalised names that are never sensitive (replaces the default list).
        pub allowed_names: Vec<String> = "allowedNames",
        /// Whether literal values are scanned by the secret detectors.
        pub scan_values: bool = "scanValues",
        /// Whether `command` and `args` are scanned too.
        pub scan_args: bool = "scanArgs",
        /// Entropy threshold in bits per character (0 turns the entropy detector off).
        pub entropy_threshold: f64 = "entropyThreshold",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            denied_name_patterns: secrets::defaults(DEFAULT_SENSITIVE_NAMES),
            allowed_names: secrets::defaults(DEFAULT_ALLOWED_NAMES),
            scan_values: true,
            scan_args: false,
            entropy_threshold: DEFAULT_ENTROPY_THRESHOLD,
            exemptions: Exemptions::default(),
        }
    }
}

impl Settings {
    /// The scanner these settings describe (names included, for the name rule).
    ///
    /// # Errors
    /// A message naming the offending key.
    pub fn scanner(&self) -> Result<Scanner, String> {
        Ok(Scanner {
            entropy_threshold: secrets::entropy_setting(
                "entropyThreshold",
                self.entropy_threshold,
            )?,
            names: NameRules::new(
                "deniedNamePatterns",
                &self.denied_name_patterns,
                "allowedNames",
                &self.allowed_names,
            )?,
            assignments: true,
            value_patterns: Vec::new(),
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.denied_name_patterns.is_empty() && !self.scan_values {
            return Err(
                "deniedNamePatterns is empty and scanValues is false: the policy would check nothing"
                    .into(),
            );
        }
        self.scanner().map(|_| ())
    }
}
