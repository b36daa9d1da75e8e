//! The SARIF 2.1.0 report of a scan, for code-scanning dashboards: one rule per policy (its
//! controls as tags, its README's first paragraph as help, its severity as level and
//! `security-severity`), one result per evaluation that did not allow its object (and a `note`
//! per accepted object the policy attached warnings to), located at
//! the object's file (relative to the scan root) and line, and the input errors as tool
//! notifications.

use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use admission::manifest::{InputError, STDIN_NAME};
use host_test::response::PolicyMode;

use super::{Finding, Outcome, ScanReport};
use crate::policies::Severity;

/// The `$schema` the report names.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The `uriBaseId` of locations relative to the scan root.
pub const SRCROOT: &str = "%SRCROOT%";

/// SARIF level of a violation: `error` for critical and high, `warning` for medium, `note`
/// for low, and `note` whatever the severity for a monitor-mode policy.
pub fn level(severity: Severity, mode: PolicyMode) -> &'static str {
    if mode == PolicyMode::Monitor {
        return "note";
    }
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// The numeric `security-severity` code-scanning dashboards rank rules by.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// `path` without `.` components and with `..` applied, lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Percent-encodes what may not stand in a URI path as it is.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The artifact location of `file`: relative to `root` (with [`SRCROOT`]) when it is under
/// it, else an absolute `file://` URI; none for stdin. `root` must be absolute; relative
/// files are taken relative to the current directory.
pub fn artifact_location(file: &str, root: &Path) -> Option<Value> {
    if file == STDIN_NAME || file.is_empty() {
        return None;
    }
    let path = Path::new(file);
    let absolute = if path.is_absolute() {
        normalize(path)
    } else {
        normalize(&std::env::current_dir().ok()?.join(path))
    };
    let root = normalize(root);
    match absolute.strip_prefix(&root) {
        Ok(relative) => {
            let relative = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            Some(json!({"uri": encode(&relative), "uriBaseId": SRCROOT}))
        }
        Err(_) => {
            let text = absolute.to_string_lossy().replace('\\', "/");
            let text = if text.starts_with('/') {
                text
            } else {
                format!("/{text}")
            };
            Some(json!({"uri": format!("file://{}", encode(&text))}))
        }
    }
}

fn physical_location(file: &str, line: Option<usize>, root: &Path) -> Option<Value> {
    let artifact = artifact_location(file, root)?;
    let mut location = Map::new();
    location.insert("artifactLocation".to_owned(), artifact);
    if let Some(line) = line {
        location.insert("region".to_owned(), json!({"startLine": line.max(1)}));
    }
    Some(Value::Object(location))
}

fn fingerprint(finding: &Finding) -> String {
    let mut hasher = Sha256::new();
    for part in [
        finding.policy.as_str(),
        finding.api_version.as_str(),
        finding.kind.as_str(),
        finding.namespace.as_deref().unwrap_or(""),
        finding.name.as_deref().unwrap_or(""),
        &finding.paths.join(","),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn notification(problem: &InputError, level: &str, root: &Path) -> Value {
    let mut value = json!({
        "level": level,
        "message": {"text": problem.to_string()},
    });
    if let Some(location) = physical_location(&problem.file, problem.line, root) {
        value["locations"] = json!([{"physicalLocation": location}]);
    }
    value
}

impl ScanReport {
    /// The SARIF 2.1.0 log (pretty-printed JSON). File locations are relative to `root`
    /// (an absolute directory, normally the repository root) when under it.
    pub fn render_sarif(&self, root: &Path) -> String {
        let mut rule_ids: Vec<&str> = self.policies.iter().map(|p| p.id.as_str()).collect();
        for finding in &self.findings {
            if !rule_ids.contains(&finding.policy.as_str()) {
                rule_ids.push(&finding.policy);
            }
        }
        let rules: Vec<Value> = rule_ids
            .iter()
            .map(|id| {
                let Some(policy) = self.policies.iter().find(|p| p.id == *id) else {
                    return json!({"id": id, "shortDescription": {"text": id}});
                };
                let description = policy.description.clone().unwrap_or_else(|| id.to_string());
                let help = policy.help.clone().unwrap_or_else(|| description.clone());
                let mut tags: Vec<String> = policy.controls.clone();
                tags.extend(["security".to_owned(), "kubernetes".to_owned()]);
                let mut rule = json!({
                    "id": id,
                    "name": policy.title.clone().unwrap_or_else(|| id.to_string()),
                    "shortDescription": {"text": description},
                    "fullDescription": {"text": help},
                    "help": {"text": help, "markdown": help},
                    "defaultConfiguration": {"level": level(policy.severity, policy.mode)},
                    "properties": {
                        "tags": tags,
                        "controls": policy.controls,
                        "severity": policy.severity,
                        "security-severity": security_severity(policy.severity),
                        "mode": policy.mode,
                        "precision": "very-high",
                    },
                });
                if let Some(url) = policy
                    .url
                    .as_deref()
                    .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                {
                    rule["helpUri"] = json!(url);
                }
                rule
            })
            .collect();

        let results: Vec<Value> = self
            .findings
            .iter()
            .filter(|f| !f.allowed || !f.warnings.is_empty())
            .map(|finding| {
                let index = rule_ids
                    .iter()
                    .position(|id| *id == finding.policy)
                    .unwrap_or(0);
                let text = match (finding.outcome, finding.message.as_deref()) {
                    (Outcome::Allowed, _) => format!(
                        "{} accepted with a warning: {}",
                        finding.object_label(),
                        finding.warnings.join("; ")
                    ),
                    (Outcome::Error, Some(m)) => format!("evaluation failed: {m}"),
                    (Outcome::Error, None) => "evaluation failed".to_owned(),
                    (_, Some(m)) => m.to_owned(),
                    (_, None) => {
                        format!("{} rejected by {}", finding.object_label(), finding.policy)
                    }
                };
                let mut location = Map::new();
                if let Some(physical) = physical_location(&finding.file, Some(finding.line), root) {
                    location.insert("physicalLocation".to_owned(), physical);
                }
                let namespace = finding
                    .namespace
                    .as_deref()
                    .map(|ns| format!("{ns}/"))
                    .unwrap_or_default();
                location.insert(
                    "logicalLocations".to_owned(),
                    json!([{
                        "name": finding.name.as_deref().unwrap_or("(unnamed)"),
                        "fullyQualifiedName": format!(
                            "{}/{}/{namespace}{}",
                            finding.api_version,
                            finding.kind,
                            finding.name.as_deref().unwrap_or("(unnamed)")
                        ),
                        "kind": "object",
                    }]),
                );
                let mut properties = json!({
                    "object": finding.object_label(),
                    "severity": finding.severity,
                    "mode": finding.mode,
                    "controls": finding.control_ids(),
                    "fieldPaths": finding.paths,
                    "failing": finding.fails(self.fail_on),
                });
                if finding.outcome == Outcome::Error {
                    properties["evaluationError"] = json!(true);
                }
                if let Some(source) = &finding.source {
                    properties["helmSource"] = json!(source);
                }
                if !finding.warnings.is_empty() {
                    properties["warnings"] = json!(finding.warnings);
                }
                if finding.allowed {
                    // A warning the policy attached to an object it accepted: a note.
                    properties["accepted"] = json!(true);
                    return json!({
                        "ruleId": finding.policy,
                        "ruleIndex": index,
                        "level": "note",
                        "message": {"text": text},
                        "locations": [Value::Object(location)],
                        "partialFingerprints": {"kubernetesObjectPolicy/v1": fingerprint(finding)},
                        "properties": properties,
                    });
                }
                json!({
                    "ruleId": finding.policy,
                    "ruleIndex": index,
                    "kind": "fail",
                    "level": level(finding.severity, finding.mode),
                    "message": {"text": text},
                    "locations": [Value::Object(location)],
                    "partialFingerprints": {"kubernetesObjectPolicy/v1": fingerprint(finding)},
                    "properties": properties,
                })
            })
            .collect();

        let notifications: Vec<Value> = self
            .input_errors
            .iter()
            .map(|p| notification(p, "error", root))
            .chain(
                self.warnings
                    .iter()
                    .map(|p| notification(p, "warning", root)),
            )
            .chain(self.notes.iter().map(|p| notification(p, "note", root)))
            .collect();
        let evaluation_failed = self.findings.iter().any(|f| f.outcome == Outcome::Error);
        let log = json!({
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "host-test",
                    "fullName": "host-test scan (aks-baseline-policies)",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }},
                "invocations": [{
                    "executionSuccessful": self.input_errors.is_empty() && !evaluation_failed,
                    "exitCode": self.exit_code(),
                    "toolExecutionNotifications": notifications,
                }],
                "results": results,
                "properties": {
                    "objects": self.objects,
                    "evaluations": self.evaluations(),
                    "rejected": self.rejected(),
                    "errors": self.errors(),
                    "failing": self.failing(),
                    "failOn": self.fail_on,
                },
            }],
        });
        serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".to_owned())
    }
}
