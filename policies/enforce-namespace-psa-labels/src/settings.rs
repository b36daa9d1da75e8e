//! Settings: minimum levels per mode, stricter minimums for selected namespaces, downgrade and
//! version handling, and the common exemptions.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::labels::{is_valid_key, is_valid_label_value};
use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// A Pod Security Standards level, in increasing strictness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// `privileged`: no restriction.
    Privileged,
    /// `baseline`
    Baseline,
    /// `restricted`
    Restricted,
}

policy_helpers::decode_by_serde!(Level);

impl Level {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }

    /// Parses a label value.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }
}

/// The PSA modes.
pub const MODES: [&str; 3] = ["enforce", "audit", "warn"];

policy_helpers::view! {
    /// Minimum level per mode; a mode not set is not required.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub struct Modes [deny_unknown_fields] {
        /// `pod-security.kubernetes.io/enforce`
        pub enforce: Option<Level> = "enforce",
        /// `pod-security.kubernetes.io/audit`
        pub audit: Option<Level> = "audit",
        /// `pod-security.kubernetes.io/warn`
        pub warn: Option<Level> = "warn",
    }
}

impl Modes {
    /// The minimum for a mode.
    pub fn get(&self, mode: &str) -> Option<Level> {
        match mode {
            "enforce" => self.enforce,
            "audit" => self.audit,
            _ => self.warn,
        }
    }

    /// The stricter of two requirements, mode by mode.
    pub fn stricter(self, other: Modes) -> Modes {
        let m = |a: Option<Level>, b: Option<Level>| a.max(b);
        Modes {
            enforce: m(self.enforce, other.enforce),
            audit: m(self.audit, other.audit),
            warn: m(self.warn, other.warn),
        }
    }
}

policy_helpers::view! {
    /// Stricter minimums for namespaces whose labels match.
    #[derive(Debug, Clone, Default)]
    pub struct Override [deny_unknown_fields] {
        /// Labels the namespace must all carry, e.g. `{pci-scope: in-scope}`.
        pub match_labels: BTreeMap<String, String> = "matchLabels",
        /// The minimums for those namespaces.
        pub modes: Modes = "modes",
    }
}

policy_helpers::view! {
    /// Settings of `enforce-namespace-psa-labels`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Minimum level per mode for every namespace (default `{enforce: baseline}`).
        pub modes: Modes = "modes",
        /// Stricter minimums for selected namespaces.
        pub overrides: Vec<Override> = "overrides",
        /// Refuse an update that lowers or removes a mode's level (default true).
        pub deny_downgrade: bool = "denyDowngrade",
        /// Allow `-version` labels pinned to `v1.N` (default true); false: only `latest`.
        pub allow_pinned_versions: bool = "allowPinnedVersions",
        /// Common exemptions (`namespaces` matches the Namespace's own name).
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            modes: Modes {
                enforce: Some(Level::Baseline),
                ..Modes::default()
            },
            overrides: Vec::new(),
            deny_downgrade: true,
            allow_pinned_versions: true,
            exemptions: Exemptions::default(),
        }
    }
}

impl Settings {
    /// The minimums for a namespace with these labels.
    pub fn required(&self, labels: &BTreeMap<String, String>) -> Modes {
        self.overrides
            .iter()
            .filter(|o| o.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v)))
            .fold(self.modes, |acc, o| acc.stricter(o.modes))
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        for (i, o) in self.overrides.iter().enumerate() {
            if o.match_labels.is_empty() {
                return Err(format!(
                    "overrides[{i}].matchLabels is empty: it would select every namespace (raise `modes` instead)"
                ));
            }
            for (k, v) in &o.match_labels {
                if !is_valid_key(k) || !is_valid_label_value(v) {
                    return Err(format!(
                        "overrides[{i}].matchLabels: {k:?}={v:?} is not a valid label"
                    ));
                }
            }
            if o.modes == Modes::default() {
                return Err(format!(
                    "overrides[{i}].modes is empty: it would change nothing"
                ));
            }
        }
        if self.modes == Modes::default() && self.overrides.is_empty() && !self.deny_downgrade {
            return Err(
                "modes and overrides are empty and denyDowngrade is false: the policy would check nothing"
                    .into(),
            );
        }
        Ok(())
    }
}
