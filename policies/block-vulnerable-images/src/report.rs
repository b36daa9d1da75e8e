//! The parts of SBOMscanner's `VulnerabilityReport` (`storage.sbomscanner.kubewarden.io/v1alpha1`)
//! the rule reads, which report belongs to which image, and what a report's findings add up to.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::image::ImageRef;

use crate::settings::Settings;

/// API version of the reports.
pub const API_VERSION: &str = "storage.sbomscanner.kubewarden.io/v1alpha1";
/// Kind of the reports.
pub const KIND: &str = "VulnerabilityReport";

policy_helpers::view! {
    /// `metadata`
    #[derive(Debug, Clone, Default)]
    pub struct Meta {
        /// `name`
        pub name: String = "name" or_default,
        /// `namespace`
        pub namespace: String = "namespace" or_default,
    }
}

policy_helpers::view! {
    /// `imageMetadata`
    #[derive(Debug, Clone, Default)]
    pub struct ImageMetadata {
        /// `registryURI`, e.g. `ghcr.io`
        pub registry_uri: String = "registryURI" or_default,
        /// `repository`, e.g. `acme/web`
        pub repository: String = "repository" or_default,
        /// `tag`
        pub tag: String = "tag" or_default,
        /// `digest` of the scanned manifest
        pub digest: String = "digest" or_default,
        /// `platform`, e.g. `linux/amd64`
        pub platform: String = "platform" or_default,
    }
}

policy_helpers::view! {
    /// `report.results[].vulnerabilities[].cvss.<source>`
    #[derive(Debug, Clone, Default)]
    pub struct Cvss {
        /// `v3score`, a decimal string
        pub v3score: String = "v3score" or_default,
    }
}

policy_helpers::view! {
    /// `report.results[].vulnerabilities[]`
    #[derive(Debug, Clone, Default)]
    pub struct Vulnerability {
        /// `cve` (the vulnerability id)
        pub cve: String = "cve" or_default,
        /// `severity`: `CRITICAL`, `HIGH`, `MEDIUM`, `LOW` or `UNKNOWN`
        pub severity: String = "severity" or_default,
        /// `fixedVersions`
        pub fixed_versions: Vec<String> = "fixedVersions" or_default,
        /// `suppressed` (by a VEX statement)
        pub suppressed: bool = "suppressed",
        /// `cvss`, by source
        pub cvss: BTreeMap<String, Cvss> = "cvss" or_default,
    }
}

impl Vulnerability {
    /// The highest CVSS v3 score any source gives, in tenths, if one parses.
    pub fn score(&self) -> Option<u32> {
        self.cvss.values().filter_map(|c| tenths(&c.v3score)).max()
    }
}

/// A decimal score (`9.8`, `10`, `7.50`) in tenths (`98`, `100`, `75`); digits after the first
/// decimal are dropped. `None` for anything else. (Integer parsing keeps float parsing and
/// printing code out of the module.)
pub fn tenths(text: &str) -> Option<u32> {
    let text = text.trim();
    let (int, frac) = text.split_once('.').unwrap_or((text, "0"));
    if int.is_empty() || int.len() > 3 || !int.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if frac.is_empty() || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: u32 = int.parse().ok()?;
    Some(whole * 10 + u32::from(frac.as_bytes()[0] - b'0'))
}

/// Tenths written as a decimal score (`98` → `9.8`).
pub fn show_tenths(t: u32) -> String {
    format!("{}.{}", t / 10, t % 10)
}

policy_helpers::view! {
    /// `report.results[]`
    #[derive(Debug, Clone, Default)]
    pub struct ScanResult {
        /// `vulnerabilities`
        pub vulnerabilities: Vec<Vulnerability> = "vulnerabilities" or_default,
    }
}

policy_helpers::view! {
    /// `report`
    #[derive(Debug, Clone, Default)]
    pub struct Report {
        /// `results`
        pub results: Vec<ScanResult> = "results" or_default,
    }
}

policy_helpers::view! {
    /// A `VulnerabilityReport`.
    #[derive(Debug, Clone, Default)]
    pub struct VulnerabilityReport {
        /// `metadata`
        pub metadata: Meta = "metadata" or_default,
        /// `imageMetadata`
        pub image_metadata: ImageMetadata = "imageMetadata" or_default,
        /// `report`
        pub report: Report = "report" or_default,
    }
}

/// A registry host as reports write it, normalised like image references (`https://` dropped,
/// lower case, Docker Hub aliases are `docker.io`).
pub fn normalise_registry(uri: &str) -> String {
    let host = uri
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_string()
        }
        _ => host,
    }
}

/// Whether `report` describes `image`: same registry and repository (Docker Hub official
/// images with or without `library/`), and the image's digest, or else its tag; and the
/// platform, when one is configured.
pub fn describes(report: &VulnerabilityReport, image: &ImageRef, s: &Settings) -> bool {
    let m = &report.image_metadata;
    if let Some(p) = &s.platform
        && m.platform != *p
    {
        return false;
    }
    let registry = normalise_registry(&m.registry_uri);
    if registry != image.registry {
        return false;
    }
    let same_repo = m.repository == image.repository
        || (registry == "docker.io"
            && image.repository.strip_prefix("library/") == Some(m.repository.as_str()));
    if !same_repo {
        return false;
    }
    match (&image.digest, image.effective_tag()) {
        (Some(d), _) if m.digest == *d => true,
        (_, Some(t)) => m.tag == t,
        _ => false,
    }
}

/// One counted vulnerability: id, severity (the highest seen for the id) and score.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted {
    /// Vulnerability id.
    pub id: String,
    /// Severity, upper case.
    pub severity: String,
    /// Highest CVSS v3 score seen, in tenths.
    pub score: Option<u32>,
}

fn rank(severity: &str) -> u8 {
    match severity {
        "CRITICAL" => 4,
        "HIGH" => 3,
        "MEDIUM" => 2,
        "LOW" => 1,
        _ => 0,
    }
}

/// The distinct vulnerabilities of `reports` that count under the settings, and the denied
/// CVEs found (whether they count or not), both sorted by id.
pub fn tally(reports: &[&VulnerabilityReport], s: &Settings) -> (Vec<Counted>, Vec<String>) {
    let mut counted: BTreeMap<&str, Counted> = BTreeMap::new();
    let mut denied: Vec<String> = Vec::new();
    for v in reports
        .iter()
        .flat_map(|r| r.report.results.iter())
        .flat_map(|r| r.vulnerabilities.iter())
    {
        if v.cve.is_empty() {
            continue;
        }
        if s.denied_cves.contains(&v.cve) && !denied.contains(&v.cve) {
            denied.push(v.cve.clone());
        }
        if s.allowed_cves.contains(&v.cve)
            || (v.suppressed && !s.count_suppressed)
            || (s.only_fixable && v.fixed_versions.iter().all(|f| f.trim().is_empty()))
        {
            continue;
        }
        let severity = v.severity.to_ascii_uppercase();
        let score = v.score();
        let e = counted.entry(&v.cve).or_insert_with(|| Counted {
            id: v.cve.clone(),
            severity: severity.clone(),
            score,
        });
        if rank(&severity) > rank(&e.severity) {
            e.severity = severity;
        }
        if let Some(sc) = score
            && e.score.is_none_or(|old| sc > old)
        {
            e.score = Some(sc);
        }
    }
    denied.sort();
    (counted.into_values().collect(), denied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(json: &str) -> VulnerabilityReport {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn matching_by_registry_repository_digest_tag_platform() {
        let r = report(
            r#"{"imageMetadata":{"registryURI":"ghcr.io","repository":"acme/web","tag":"1.0",
            "digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","platform":"linux/amd64"}}"#,
        );
        let s = Settings::default();
        let img = |x: &str| ImageRef::parse(x).unwrap();
        assert!(describes(&r, &img("ghcr.io/acme/web:1.0"), &s));
        assert!(describes(&r, &img("GHCR.io/acme/web:1.0"), &s));
        assert!(!describes(&r, &img("ghcr.io/acme/web:1.1"), &s));
        assert!(!describes(&r, &img("docker.io/acme/web:1.0"), &s));
        assert!(describes(
            &r,
            &img(
                "ghcr.io/acme/web@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            ),
            &s
        ));
        let arm = Settings {
            platform: Some("linux/arm64".into()),
            ..Settings::default()
        };
        assert!(!describes(&r, &img("ghcr.io/acme/web:1.0"), &arm));
        let hub = report(
            r#"{"imageMetadata":{"registryURI":"index.docker.io","repository":"nginx","tag":"1.25"}}"#,
        );
        assert!(describes(&hub, &img("nginx:1.25"), &s));
    }

    #[test]
    fn tally_dedupes_and_filters() {
        let r = report(
            r#"{"report":{"results":[{"vulnerabilities":[
            {"cve":"CVE-1","severity":"HIGH","fixedVersions":["2"],"cvss":{"nvd":{"v3score":"7.5"}}},
            {"cve":"CVE-1","severity":"CRITICAL","cvss":{"redhat":{"v3score":"9.1"}}},
            {"cve":"CVE-2","severity":"LOW","suppressed":true},
            {"cve":"CVE-3","severity":"MEDIUM"}]}]}}"#,
        );
        let s = Settings::default();
        let (c, d) = tally(&[&r], &s);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].severity, "CRITICAL");
        assert_eq!(c[0].score, Some(91));
        assert_eq!(tenths("10"), Some(100));
        assert_eq!(tenths(" 7.55 "), Some(75));
        assert_eq!(tenths("x"), None);
        assert_eq!(tenths("7."), None);
        assert_eq!(show_tenths(98), "9.8");
        assert!(d.is_empty());
        let fixable = Settings {
            only_fixable: true,
            denied_cves: vec!["CVE-2".into()],
            ..Settings::default()
        };
        let (c, d) = tally(&[&r], &fixable);
        assert_eq!(c.len(), 1);
        assert_eq!(d, vec!["CVE-2".to_string()]);
    }
}
