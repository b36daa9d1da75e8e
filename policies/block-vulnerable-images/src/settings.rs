//! Settings: where reports live and how they are looked up, the thresholds, CVE lists, what to
//! do with unscanned images, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// How reports are found.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Lookup {
    /// One list call per image, filtered by SBOMscanner's field selectors
    /// (`imageMetadata.digest`, or `imageMetadata.repository` and `imageMetadata.tag`).
    #[default]
    FieldSelector,
    /// One list call of every report in the namespace, filtered by the policy (for report
    /// sources without those field selectors).
    ListNamespace,
}

policy_helpers::decode_by_serde!(Lookup);

policy_helpers::view! {
    /// Highest number of distinct CVEs allowed per severity; an absent severity is unlimited.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct MaxBySeverity [deny_unknown_fields] {
        /// `CRITICAL`
        pub critical: Option<u32> = "critical",
        /// `HIGH`
        pub high: Option<u32> = "high",
        /// `MEDIUM`
        pub medium: Option<u32> = "medium",
        /// `LOW`
        pub low: Option<u32> = "low",
        /// `UNKNOWN`
        pub unknown: Option<u32> = "unknown",
    }
}

impl MaxBySeverity {
    /// The limit for a severity as written in reports (upper case).
    pub fn limit(&self, severity: &str) -> Option<u32> {
        match severity {
            "CRITICAL" => self.critical,
            "HIGH" => self.high,
            "MEDIUM" => self.medium,
            "LOW" => self.low,
            _ => self.unknown,
        }
    }
}

policy_helpers::view! {
    /// Settings of `block-vulnerable-images`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Namespace holding the `VulnerabilityReport` objects (default `sbomscanner`).
        pub report_namespace: String = "reportNamespace",
        /// How reports are looked up (default `fieldSelector`).
        pub lookup: Lookup = "lookup",
        /// Only reports of this platform count, e.g. `linux/amd64` (default: every platform).
        pub platform: Option<String> = "platform",
        /// Per-severity limits (default: no CRITICAL and no HIGH).
        pub max_by_severity: MaxBySeverity = "maxBySeverity" with(policy_helpers::strict::object),
        /// Any counted vulnerability whose highest CVSS v3 score is above this is refused.
        pub max_cvss_score: Option<f64> = "maxCvssScore",
        /// Count only vulnerabilities that have a fixed version (default false).
        pub only_fixable: bool = "onlyFixable",
        /// Count vulnerabilities a VEX statement suppressed (default false).
        pub count_suppressed: bool = "countSuppressed",
        /// CVEs never counted (accepted risks).
        pub allowed_cves: Vec<String> = "allowedCVEs",
        /// CVEs refused whatever the thresholds say.
        pub denied_cves: Vec<String> = "deniedCVEs",
        /// Refuse images without a report (default true).
        pub deny_unscanned: bool = "denyUnscanned",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            report_namespace: "sbomscanner".into(),
            lookup: Lookup::FieldSelector,
            platform: None,
            max_by_severity: MaxBySeverity {
                critical: Some(0),
                high: Some(0),
                ..MaxBySeverity::default()
            },
            max_cvss_score: None,
            only_fixable: false,
            count_suppressed: false,
            allowed_cves: Vec::new(),
            denied_cves: Vec::new(),
            deny_unscanned: true,
            exemptions: Exemptions::default(),
        }
    }
}

fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn is_vulnerability_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.:".contains(&c))
}

impl Settings {
    /// `maxCvssScore` in tenths (scores have one decimal).
    pub fn max_cvss_tenths(&self) -> Option<u32> {
        self.max_cvss_score
            .map(|m| policy_helpers::libm::round(m * 10.0) as u32)
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if !is_dns_label(&self.report_namespace) {
            return Err(format!(
                "reportNamespace: {:?} is not a namespace name",
                self.report_namespace
            ));
        }
        if let Some(p) = &self.platform
            && (p.is_empty() || !p.contains('/') || p.contains(' '))
        {
            return Err(format!(
                "platform: {p:?} is not os/architecture[/variant] (e.g. linux/amd64)"
            ));
        }
        if let Some(s) = self.max_cvss_score
            && !(0.0..=10.0).contains(&s)
        {
            return Err("maxCvssScore: not between 0 and 10".into());
        }
        for (key, list) in [
            ("allowedCVEs", &self.allowed_cves),
            ("deniedCVEs", &self.denied_cves),
        ] {
            for (i, id) in list.iter().enumerate() {
                if !is_vulnerability_id(id) {
                    return Err(format!(
                        "{key}[{i}]: {id:?} is not a vulnerability id (e.g. CVE-2024-3094, GHSA-xxxx-xxxx-xxxx)"
                    ));
                }
            }
        }
        if let Some(id) = self
            .denied_cves
            .iter()
            .find(|d| self.allowed_cves.contains(d))
        {
            return Err(format!("{id:?} is in both allowedCVEs and deniedCVEs"));
        }
        let m = &self.max_by_severity;
        if m == &MaxBySeverity::default()
            && self.max_cvss_score.is_none()
            && self.denied_cves.is_empty()
            && !self.deny_unscanned
        {
            return Err(
                "maxBySeverity, maxCvssScore and deniedCVEs set no limit and denyUnscanned is false: the policy would accept every image"
                    .into(),
            );
        }
        Ok(())
    }
}
