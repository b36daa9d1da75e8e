//! Settings: the target Kubernetes version, whether deprecation alone rejects, extra
//! deprecations (CRDs, or built-ins newer than the table), and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::{Exemptions, PolicySettings};
use serde_json::value::RawValue;

use crate::table::{REVIEWED_THROUGH, Version};

policy_helpers::view! {
    /// Settings of `deprecated-api-versions`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// The Kubernetes version the cluster runs or is being upgraded to, e.g. `"1.32"`,
        /// `"v1.31.4"` (a string: a YAML number such as 1.30 would lose its trailing zero).
        /// Default: the newest release the table was reviewed against.
        pub kubernetes_version: Option<Box<RawValue>> = "kubernetesVersion",
        /// Reject objects in deprecated (still served) versions instead of warning.
        pub deny_on_deprecation: bool = "denyOnDeprecation",
        /// Deprecations the built-in table does not know.
        pub extra_deprecations: Vec<Extra> = "extraDeprecations",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

policy_helpers::view! {
    /// A deprecation given in the settings.
    #[derive(Debug, Clone, Default)]
    pub struct Extra [deny_unknown_fields] {
        /// `group/version` (or `v1` for core), e.g. `cert-manager.io/v1alpha2`.
        pub api_version: String = "apiVersion",
        /// Kind, or `*` for every kind of that version (the default).
        pub kind: Option<String> = "kind",
        /// What to use instead, e.g. `cert-manager.io/v1`.
        pub replacement: String = "replacement",
        /// Whether the version is no longer served (rejected) rather than only deprecated.
        pub removed: bool = "removed",
    }
}

impl Extra {
    /// `(group, version)` of the entry.
    pub fn group_version(&self) -> (&str, &str) {
        self.api_version
            .split_once('/')
            .unwrap_or(("", self.api_version.as_str()))
    }

    /// Whether the entry names this group, version and kind.
    pub fn matches(&self, group: &str, version: &str, kind: &str) -> bool {
        let k = self.kind.as_deref().unwrap_or("*");
        self.group_version() == (group, version) && (k == "*" || k == kind)
    }
}

/// Reads `1.32`, `v1.32`, `1.32.4`, `v1.31.2-aks.1` as `(1, 32)`.
pub fn parse_version(text: &str) -> Option<Version> {
    let t = text.strip_prefix('v').unwrap_or(text);
    let t = t.split(['-', '+']).next().unwrap_or(t);
    let mut parts = t.split('.');
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next()?.parse().ok()?;
    if let Some(patch) = parts.next() {
        patch.parse::<u32>().ok()?;
    }
    if parts.next().is_some() || major != 1 {
        return None;
    }
    Some((major, minor))
}

impl Settings {
    /// The target version.
    ///
    /// # Errors
    /// A message naming `kubernetesVersion` when it is not a version string.
    pub fn target(&self) -> Result<Version, String> {
        let Some(raw) = self
            .kubernetes_version
            .as_deref()
            .filter(|r| r.get() != "null")
        else {
            return Ok(REVIEWED_THROUGH);
        };
        let Ok(text) = policy_helpers::json::from_str::<String>(raw.get()) else {
            return Err(format!(
                "kubernetesVersion: {} is not a string; quote it (\"1.30\"), a YAML number loses trailing zeros",
                raw.get()
            ));
        };
        parse_version(&text).ok_or_else(|| {
            format!("kubernetesVersion: {text:?} is not a Kubernetes version like \"1.32\" or \"v1.31.4\"")
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        self.target()?;
        for (i, e) in self.extra_deprecations.iter().enumerate() {
            let (group, version) = e.group_version();
            let name_ok = |s: &str| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            };
            if !name_ok(version) || (!group.is_empty() && !name_ok(group)) {
                return Err(format!(
                    "extraDeprecations[{i}].apiVersion: {:?} is not group/version (or v1)",
                    e.api_version
                ));
            }
            if e.kind.as_deref().is_some_and(str::is_empty) {
                return Err(format!(
                    "extraDeprecations[{i}].kind is empty (use \"*\" for every kind)"
                ));
            }
            if e.replacement == e.api_version {
                return Err(format!(
                    "extraDeprecations[{i}].replacement is the deprecated apiVersion itself"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version("1.32"), Some((1, 32)));
        assert_eq!(parse_version("v1.30"), Some((1, 30)));
        assert_eq!(parse_version("1.31.4"), Some((1, 31)));
        assert_eq!(parse_version("v1.31.2-aks.1"), Some((1, 31)));
        for bad in [
            "", "1", "2.1", "1.x", "1.30.x", "1.30.1.2", "latest", "1.3O",
        ] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
    }
}
