//! The scan as Policy Reports (`wgpolicyk8s.io/v1alpha2`), the format Kyverno and Kubewarden's
//! audit scanner write in a cluster, so that Policy Reporter and other report viewers can show a
//! CI run: one `PolicyReport` per namespace for the namespaced objects, one
//! `ClusterPolicyReport` for the cluster-scoped ones, one result per evaluation.
//!
//! A result carries the policy id (`policy`, and `rule`, as the modules have one rule each), the
//! outcome (`pass`; `fail` for a violation that fails the scan; `warn` for a violation that does
//! not, in monitor mode or below `--fail-on`, and for an accepted object with warnings; `error`
//! for an evaluation that failed), the severity (the CRD knows `high`, `medium` and `low`:
//! `critical` is written `high`, with the exact severity in `properties.severity`), the control
//! ids as `category`, the object as `resources[0]`, and its file and line in `properties`.
//! An input that could not be read or rendered is an `error` result of the
//! `ClusterPolicyReport` (policy `input`, rule `read`, no resource, its file and line in
//! `properties`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Finding, Outcome, ScanReport};
use crate::policies::Severity;

/// `apiVersion` of the reports.
pub const API_VERSION: &str = "wgpolicyk8s.io/v1alpha2";

/// `metadata.name` of every report, and `properties.scanner` of every result.
pub const SOURCE: &str = "aks-baseline-policies";

/// The `policy` (and `rule` `read`) of the results for inputs that could not be read.
pub const INPUT_POLICY: &str = "input";

/// A finding's `result`.
fn result(report: &ScanReport, finding: &Finding) -> &'static str {
    match finding.outcome {
        Outcome::Error => "error",
        Outcome::Rejected if finding.fails(report.fail_on) => "fail",
        Outcome::Rejected => "warn",
        Outcome::Allowed if !finding.warnings.is_empty() => "warn",
        Outcome::Allowed => "pass",
    }
}

/// A severity as the CRD's enum (high, medium, low) spells it.
fn crd_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
    }
}

fn result_entry(report: &ScanReport, finding: &Finding, seconds: u64) -> Value {
    let mut resource = Map::new();
    resource.insert("apiVersion".into(), json!(finding.api_version));
    resource.insert("kind".into(), json!(finding.kind));
    if let Some(name) = &finding.name {
        resource.insert("name".into(), json!(name));
    }
    if let Some(namespace) = &finding.namespace {
        resource.insert("namespace".into(), json!(namespace));
    }
    let mut properties = Map::new();
    properties.insert("file".into(), json!(finding.file));
    properties.insert("line".into(), json!(finding.line.to_string()));
    properties.insert("severity".into(), json!(finding.severity.as_str()));
    properties.insert("mode".into(), json!(finding.mode.to_string()));
    properties.insert("scanner".into(), json!(SOURCE));
    if let Some(source) = &finding.source {
        properties.insert("source".into(), json!(source));
    }
    if !finding.paths.is_empty() {
        properties.insert("paths".into(), json!(finding.paths.join(", ")));
    }
    let message = match finding.outcome {
        Outcome::Allowed if finding.warnings.is_empty() => "accepted".to_owned(),
        Outcome::Allowed => finding.warnings.join("; "),
        _ => finding
            .message
            .clone()
            .unwrap_or_else(|| "(no message)".to_owned()),
    };
    let mut entry = Map::new();
    entry.insert("policy".into(), json!(finding.policy));
    entry.insert("rule".into(), json!(finding.policy));
    entry.insert("result".into(), json!(result(report, finding)));
    entry.insert("severity".into(), json!(crd_severity(finding.severity)));
    let controls = finding.control_ids();
    if !controls.is_empty() {
        entry.insert("category".into(), json!(controls.join(", ")));
    }
    entry.insert("message".into(), json!(message));
    entry.insert("scored".into(), json!(true));
    entry.insert("resources".into(), json!([Value::Object(resource)]));
    entry.insert("properties".into(), Value::Object(properties));
    entry.insert("timestamp".into(), json!({"seconds": seconds, "nanos": 0}));
    Value::Object(entry)
}

fn summary(report: &ScanReport, findings: &[&Finding]) -> Value {
    let count = |wanted: &str| {
        findings
            .iter()
            .filter(|f| result(report, f) == wanted)
            .count()
    };
    json!({
        "pass": count("pass"),
        "fail": count("fail"),
        "warn": count("warn"),
        "error": count("error"),
        "skip": 0,
    })
}

impl ScanReport {
    /// The reports, one per namespace (in name order) then the cluster report, as one list
    /// of objects.
    pub fn policy_reports(&self, seconds: u64) -> Vec<Value> {
        let mut by_namespace: BTreeMap<Option<&str>, Vec<&Finding>> = BTreeMap::new();
        for finding in &self.findings {
            by_namespace
                .entry(finding.namespace.as_deref())
                .or_default()
                .push(finding);
        }
        let mut reports = Vec::new();
        let cluster = by_namespace.remove(&None);
        // Inputs that could not be read have no namespace: `error` results of the cluster
        // report, policy `input`, the file and line in `properties`.
        let inputs: Vec<Value> = self
            .input_errors
            .iter()
            .map(|problem| {
                let mut properties = Map::new();
                properties.insert("file".into(), json!(problem.file));
                if let Some(line) = problem.line {
                    properties.insert("line".into(), json!(line.to_string()));
                }
                properties.insert("scanner".into(), json!(SOURCE));
                properties.insert(
                    "failing".into(),
                    json!(self.input_errors_fail().to_string()),
                );
                json!({
                    "policy": INPUT_POLICY,
                    "rule": "read",
                    "result": "error",
                    "message": problem.to_string(),
                    "scored": true,
                    "properties": properties,
                    "timestamp": {"seconds": seconds, "nanos": 0},
                })
            })
            .collect();
        for (namespace, findings) in by_namespace {
            reports.push(json!({
                "apiVersion": API_VERSION,
                "kind": "PolicyReport",
                "metadata": {
                    "name": SOURCE,
                    "namespace": namespace,
                    "labels": {"app.kubernetes.io/managed-by": SOURCE},
                },
                "summary": summary(self, &findings),
                "results": findings.iter().map(|f| result_entry(self, f, seconds)).collect::<Vec<_>>(),
            }));
        }
        if cluster.is_some() || !inputs.is_empty() {
            let findings = cluster.unwrap_or_default();
            let mut summary = summary(self, &findings);
            summary["error"] = json!(summary["error"].as_u64().unwrap_or(0) + inputs.len() as u64);
            let mut results: Vec<Value> = findings
                .iter()
                .map(|f| result_entry(self, f, seconds))
                .collect();
            results.extend(inputs);
            reports.push(json!({
                "apiVersion": API_VERSION,
                "kind": "ClusterPolicyReport",
                "metadata": {
                    "name": SOURCE,
                    "labels": {"app.kubernetes.io/managed-by": SOURCE},
                },
                "summary": summary,
                "results": results,
            }));
        }
        reports
    }

    /// [`ScanReport::policy_reports`] at the current time, as a multi-document YAML stream
    /// (`kubectl apply -f` reads it).
    pub fn render_policy_reports(&self) -> String {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut out = String::new();
        for report in self.policy_reports(seconds) {
            out.push_str("---\n");
            out.push_str(&serde_yaml::to_string(&report).unwrap_or_default());
        }
        out
    }
}
