//! The rule: look the reports up through the engine, match them to each image, and compare
//! what they list with the thresholds.

use policy_helpers::prelude::*;

use policy_helpers::host::{self, HostError};
use policy_helpers::image::ImageRef;
use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::report::{
    API_VERSION, Counted, KIND, VulnerabilityReport, describes, show_tenths, tally,
};
use crate::settings::{Lookup, Settings};

/// Most vulnerability ids named per finding.
const MAX_IDS: usize = 5;

/// The reports a lookup returned, kept per selector so each is asked once per evaluation.
struct Reports {
    all: Option<Result<Vec<VulnerabilityReport>, HostError>>,
    by_selector: Vec<(String, Result<Vec<VulnerabilityReport>, HostError>)>,
}

impl Reports {
    fn lookup(
        &mut self,
        s: &Settings,
        image: &ImageRef,
    ) -> Result<Vec<VulnerabilityReport>, HostError> {
        let ns = s.report_namespace.as_str();
        match s.lookup {
            Lookup::ListNamespace => self
                .all
                .get_or_insert_with(|| host::list_in_namespace(API_VERSION, KIND, ns, None, None))
                .clone(),
            Lookup::FieldSelector => {
                let mut selectors = Vec::new();
                if let Some(d) = &image.digest {
                    selectors.push(format!("imageMetadata.digest={d}"));
                }
                if let Some(t) = image.effective_tag() {
                    selectors.push(format!(
                        "imageMetadata.repository={},imageMetadata.tag={t}",
                        image.repository
                    ));
                }
                let mut found = Vec::new();
                for sel in selectors {
                    let answer = match self.by_selector.iter().find(|(k, _)| *k == sel) {
                        Some((_, a)) => a.clone(),
                        None => {
                            let a =
                                host::list_in_namespace(API_VERSION, KIND, ns, None, Some(&sel));
                            self.by_selector.push((sel, a.clone()));
                            a
                        }
                    };
                    found.extend(answer?);
                    // A digest match is exact; the tag lookup is only the fallback.
                    if found.iter().any(|r| describes(r, image, s)) {
                        break;
                    }
                }
                Ok(found)
            }
        }
    }
}

fn ids(list: &[&Counted]) -> String {
    let shown: Vec<&str> = list.iter().take(MAX_IDS).map(|c| c.id.as_str()).collect();
    let more = list.len().saturating_sub(MAX_IDS);
    let mut text = shown.join(", ");
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

/// What is wrong with an image's counted vulnerabilities, as message details.
pub fn judge(counted: &[Counted], denied: &[String], s: &Settings) -> Vec<String> {
    let mut out = Vec::new();
    if !denied.is_empty() {
        out.push(format!(
            "lists {}, which deniedCVEs refuses",
            denied.join(", ")
        ));
    }
    for (severity, key) in [
        ("CRITICAL", "critical"),
        ("HIGH", "high"),
        ("MEDIUM", "medium"),
        ("LOW", "low"),
        ("UNKNOWN", "unknown"),
    ] {
        let Some(limit) = s.max_by_severity.limit(severity) else {
            continue;
        };
        let of: Vec<&Counted> = counted
            .iter()
            .filter(|c| {
                c.severity == severity
                    || (severity == "UNKNOWN"
                        && !["CRITICAL", "HIGH", "MEDIUM", "LOW"].contains(&c.severity.as_str()))
            })
            .collect();
        if of.len() > limit as usize {
            out.push(format!(
                "has {} {severity} vulnerabilities, more than maxBySeverity.{key} {limit} ({})",
                of.len(),
                ids(&of)
            ));
        }
    }
    if let Some(max) = s.max_cvss_tenths() {
        let over: Vec<&Counted> = counted
            .iter()
            .filter(|c| c.score.is_some_and(|sc| sc > max))
            .collect();
        if !over.is_empty() {
            out.push(format!(
                "has {} vulnerabilities scoring above maxCvssScore {} ({})",
                over.len(),
                show_tenths(max),
                ids(&over)
            ));
        }
    }
    out
}

/// Rejects every in-scope container whose image is unscanned (when denied) or whose report
/// exceeds the limits; fails closed, naming the lookup, when the reports cannot be read.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let s = &ctx.settings;
    let mut reports = Reports {
        all: None,
        by_selector: Vec::new(),
    };
    let mut findings = Findings::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        let (written, image) = match c.image_ref() {
            Ok(v) => v,
            Err(detail) => {
                findings.container(&c, detail);
                continue;
            }
        };
        let found = match reports.lookup(s, &image) {
            Ok(f) => f,
            Err(e) => {
                findings.container(
                    &c,
                    format!(
                        "image {written:?} cannot be checked: the {KIND} lookup in namespace {:?} failed: {e}",
                        s.report_namespace
                    ),
                );
                continue;
            }
        };
        let matching: Vec<&VulnerabilityReport> =
            found.iter().filter(|r| describes(r, &image, s)).collect();
        if matching.is_empty() {
            let platform = s
                .platform
                .as_deref()
                .map(|p| format!(" for platform {p}"))
                .unwrap_or_default();
            let text = format!(
                "image {written:?} has no {KIND}{platform} in namespace {:?} (not scanned yet?)",
                s.report_namespace
            );
            if s.deny_unscanned {
                findings.container(&c, format!("{text}, and denyUnscanned refuses it"));
            } else {
                findings.warn(format!("{} {text}", c.subject()));
            }
            continue;
        }
        let (counted, denied) = tally(&matching, s);
        let names: Vec<&str> = matching.iter().map(|r| r.metadata.name.as_str()).collect();
        for detail in judge(&counted, &denied, s) {
            findings.container(
                &c,
                format!(
                    "image {written:?} {detail} ({KIND} {}/{})",
                    s.report_namespace,
                    names.join(",")
                ),
            );
        }
    }
    findings.into_verdict()
}
