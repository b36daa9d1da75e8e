//! The report of a scan, one model for every format: what each evaluation ended with
//! ([`Finding`]), the policies ([`PolicyInfo`]) and the whole scan ([`ScanReport`]); plus what
//! the formats share: field paths read from the policies' messages, the order of control ids,
//! and the first paragraph of a README. Each format is one module: [`table`] (the human
//! report), [`json`], [`markdown`] (the pull-request summary), [`sarif`], [`junit`] and
//! [`policyreport`] (wgpolicyk8s.io PolicyReports).

pub mod json;
pub mod junit;
pub mod markdown;
pub mod policyreport;
pub mod sarif;
pub mod table;

use std::collections::BTreeMap;

use admission::manifest::InputError;
use host_test::response::PolicyMode;

use crate::policies::{ScanPolicy, Severity, annotation, split_controls};

/// What one evaluation ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The policy accepted the object.
    Allowed,
    /// The policy rejected the object.
    Rejected,
    /// The policy failed to answer (guest error, trap, limit, unparsable answer) or the
    /// request could not be evaluated; the API server would reject the object.
    Error,
}

/// One evaluation of one object by one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The object's file.
    pub file: String,
    /// The line its document starts on.
    pub line: usize,
    /// The `# Source:` template of its document, for `helm template` output.
    pub source: Option<String>,
    /// The object's `apiVersion`.
    pub api_version: String,
    /// The object's kind.
    pub kind: String,
    /// The request's namespace (none for cluster-scoped kinds).
    pub namespace: Option<String>,
    /// The object's name.
    pub name: Option<String>,
    /// The policy id.
    pub policy: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The AdmissionResponse's `allowed` (in protect mode: monitor-mode verdicts are
    /// reported as they would be enforced).
    pub allowed: bool,
    /// `status.message` (or the harness error).
    pub message: Option<String>,
    /// `status.code`.
    pub code: Option<u16>,
    /// The policy's controls annotation.
    pub controls: Option<String>,
    /// The policy's severity.
    pub severity: Severity,
    /// The policy's mode.
    pub mode: PolicyMode,
    /// The field paths the message names (see [`crate::report::field_paths`]).
    pub paths: Vec<String>,
    /// The warnings the policy attached to its answer (also when it accepted the object).
    pub warnings: Vec<String>,
}

impl Finding {
    /// `Kind ns/name`, `Kind name` for cluster-scoped objects.
    pub fn object_label(&self) -> String {
        let name = self.name.as_deref().unwrap_or("(unnamed)");
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{name}", self.kind),
            None => format!("{} {name}", self.kind),
        }
    }

    /// Whether this evaluation fails a scan whose threshold is `fail_on`: it did not allow
    /// its object, its policy is in protect mode, and its severity is at least `fail_on`.
    pub fn fails(&self, fail_on: Option<Severity>) -> bool {
        !self.allowed
            && self.mode == PolicyMode::Protect
            && fail_on.is_some_and(|threshold| self.severity >= threshold)
    }

    /// The control ids of the policy.
    pub fn control_ids(&self) -> Vec<String> {
        split_controls(self.controls.as_deref())
    }
}

impl serde::Serialize for Finding {
    /// `file`, `line`, `kind`, `namespace`, `name`, `policy`, `allowed`, `message`, `code`,
    /// then `controls` when known and `error: true` for evaluations that failed, then
    /// `apiVersion`, `source` (when known), `severity`, `mode` and `paths`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let error = self.outcome == Outcome::Error;
        let fields = 13
            + usize::from(!self.warnings.is_empty())
            + usize::from(self.controls.is_some())
            + usize::from(error)
            + usize::from(self.source.is_some());
        let mut out = serializer.serialize_struct("Finding", fields)?;
        out.serialize_field("file", &self.file)?;
        out.serialize_field("line", &self.line)?;
        out.serialize_field("kind", &self.kind)?;
        out.serialize_field("namespace", &self.namespace)?;
        out.serialize_field("name", &self.name)?;
        out.serialize_field("policy", &self.policy)?;
        out.serialize_field("allowed", &self.allowed)?;
        out.serialize_field("message", &self.message)?;
        out.serialize_field("code", &self.code)?;
        if let Some(controls) = &self.controls {
            out.serialize_field("controls", controls)?;
        }
        if error {
            out.serialize_field("error", &true)?;
        }
        out.serialize_field("apiVersion", &self.api_version)?;
        if let Some(source) = &self.source {
            out.serialize_field("source", source)?;
        }
        out.serialize_field("severity", &self.severity)?;
        out.serialize_field("mode", &self.mode)?;
        out.serialize_field("paths", &self.paths)?;
        if !self.warnings.is_empty() {
            out.serialize_field("warnings", &self.warnings)?;
        }
        out.end()
    }
}

/// What a report says of one policy of the scan.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyInfo {
    /// Policy id.
    pub id: String,
    /// Its control ids.
    pub controls: Vec<String>,
    /// Its severity.
    pub severity: Severity,
    /// Its mode.
    pub mode: PolicyMode,
    /// `io.kubewarden.policy.title`.
    pub title: Option<String>,
    /// `io.kubewarden.policy.description`.
    pub description: Option<String>,
    /// The first paragraph of its README (`io.kubewarden.policy.usage`).
    pub help: Option<String>,
    /// `io.kubewarden.policy.url`.
    pub url: Option<String>,
}

impl PolicyInfo {
    /// What `policy`'s module metadata says.
    pub fn of(policy: &ScanPolicy) -> PolicyInfo {
        let text = |key: &str| {
            annotation(&policy.module, key)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        PolicyInfo {
            id: policy.id.clone(),
            controls: policy.control_ids(),
            severity: policy.severity,
            mode: policy.mode,
            title: text("io.kubewarden.policy.title"),
            description: text("io.kubewarden.policy.description"),
            help: annotation(&policy.module, host_test::metadata::USAGE_ANNOTATION)
                .and_then(crate::report::first_paragraph),
            url: text("io.kubewarden.policy.url"),
        }
    }
}

/// What an input that cannot be read or rendered (an input error) does to the exit code: it
/// is always reported, in every format, and the rest is still scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputErrorMode {
    /// It fails the scan as a violation does (exit 1): what cannot be read cannot be applied
    /// as written (`--input-errors fail`, the default).
    #[default]
    Fail,
    /// It is reported only; the exit code is that of the findings (`--input-errors warn`).
    Warn,
}

impl std::str::FromStr for InputErrorMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fail" => Ok(InputErrorMode::Fail),
            "warn" => Ok(InputErrorMode::Warn),
            _ => Err(format!(
                "unknown input-error mode '{s}' (expected fail or warn)"
            )),
        }
    }
}

/// The result of a scan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanReport {
    /// Number of objects read.
    pub objects: usize,
    /// The policies of the scan, in scan order.
    pub policies: Vec<PolicyInfo>,
    /// Every evaluation, by object (input order) then policy (scan order).
    pub findings: Vec<Finding>,
    /// Inputs that could not be used (and, unless allowed, objects of unknown kinds).
    pub input_errors: Vec<InputError>,
    /// Things the user should act on that do not change the outcome: objects defined twice,
    /// unknown kinds when they are allowed, inputs not scanned (Helm charts, Go templates),
    /// namespaces the objects use but no input defines.
    pub warnings: Vec<InputError>,
    /// Information only (`note:`): how inputs were read, e.g. the kustomizations rendered.
    pub notes: Vec<InputError>,
    /// Whether input errors fail the scan (exit 1, the default) or are only reported.
    pub input_errors_mode: InputErrorMode,
    /// YAML documents that are not Kubernetes objects, skipped (summed up in one line).
    pub skipped: Vec<InputError>,
    /// The lowest severity whose violations fail the scan (`None`: nothing fails).
    pub fail_on: Option<Severity>,
}

impl ScanReport {
    /// Number of evaluations.
    pub fn evaluations(&self) -> usize {
        self.findings.len()
    }

    /// Number of evaluations the policy rejected.
    pub fn rejected(&self) -> usize {
        self.count(Outcome::Rejected)
    }

    /// Number of evaluations that failed plus the number of input errors.
    pub fn errors(&self) -> usize {
        self.count(Outcome::Error) + self.input_errors.len()
    }

    /// Number of evaluations that fail the scan (see [`Finding::fails`]).
    pub fn failing(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.fails(self.fail_on))
            .count()
    }

    fn count(&self, outcome: Outcome) -> usize {
        self.findings
            .iter()
            .filter(|f| f.outcome == outcome)
            .count()
    }

    /// `N objects, N evaluations, N rejected, N errors`.
    pub fn summary(&self) -> String {
        format!(
            "{} objects, {} evaluations, {} rejected, {} errors",
            self.objects,
            self.evaluations(),
            self.rejected(),
            self.errors()
        )
    }

    /// Whether the input errors fail the scan: there are some, and
    /// [`ScanReport::input_errors_mode`] is [`InputErrorMode::Fail`].
    pub fn input_errors_fail(&self) -> bool {
        !self.input_errors.is_empty() && self.input_errors_mode == InputErrorMode::Fail
    }

    /// The exit code of `host-test scan` (exit 2, a usage error, is decided before a report
    /// exists): 1 when an evaluation fails the scan (did not allow its object, in protect
    /// mode, at or above [`ScanReport::fail_on`]) or when input errors do
    /// ([`ScanReport::input_errors_fail`]), else 0.
    pub fn exit_code(&self) -> u8 {
        if self.failing() > 0 || self.input_errors_fail() {
            1
        } else {
            0
        }
    }
}

/// Top-level fields of Kubernetes objects a policy message may name a path from.
const OBJECT_FIELDS: &[&str] = &[
    "spec",
    "metadata",
    "data",
    "stringData",
    "binaryData",
    "rules",
    "subjects",
    "roleRef",
    "aggregationRule",
    "webhooks",
    "secrets",
    "imagePullSecrets",
    "automountServiceAccountToken",
    "parameters",
    "provisioner",
    "type",
    "immutable",
];

/// Fields of a container a policy message may name relative to the container.
const CONTAINER_FIELDS: &[&str] = &[
    "securityContext",
    "image",
    "imagePullPolicy",
    "env",
    "envFrom",
    "ports",
    "resources",
    "resizePolicy",
    "volumeMounts",
    "volumeDevices",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "command",
    "args",
    "workingDir",
    "restartPolicy",
    "stdin",
    "tty",
    "targetContainerName",
    "terminationMessagePath",
    "terminationMessagePolicy",
];

/// `text` with every double-quoted part (`"…"`, backslash escapes honoured) blanked, so
/// that quoted values (images, names, registries) are never taken for paths.
fn blank_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    let mut escaped = false;
    for c in text.chars() {
        if quoted {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
            }
            if c == '"' {
                out.push('"');
            } else {
                // Same byte length, so that indices into the result are indices into `text`.
                out.extend(std::iter::repeat_n(' ', c.len_utf8()));
            }
        } else {
            if c == '"' {
                quoted = true;
            }
            out.push(c);
        }
    }
    out
}

/// Splits `text` at `; ` outside double quotes.
fn split_violations(text: &str) -> Vec<&str> {
    let blanked = blank_quoted(text);
    let mut parts = Vec::new();
    let mut start = 0;
    for (index, _) in blanked.match_indices("; ") {
        parts.push(&text[start..index]);
        start = index + 2;
    }
    parts.push(&text[start..]);
    parts
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '[' | ']' | '_')
}

/// Whether `token` is shaped like a field path: dot-separated lowerCamel segments, each
/// optionally indexed (`containers[0]`).
fn is_path(token: &str) -> bool {
    !token.is_empty()
        && token.split('.').all(|segment| {
            let (name, index) = match segment.split_once('[') {
                Some((name, rest)) => (name, Some(rest)),
                None => (segment, None),
            };
            name.starts_with(|c: char| c.is_ascii_lowercase())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && index.is_none_or(|rest| {
                    rest.split('[').all(|part| {
                        part.strip_suffix(']')
                            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                    })
                })
        })
}

/// The path-shaped tokens of `text` (quoted parts excluded) with whether `=` follows each.
fn path_tokens(text: &str) -> Vec<(String, bool)> {
    let blanked = blank_quoted(text);
    let mut out = Vec::new();
    let mut chars = blanked.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if !is_path_char(c) {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, c)) = chars.peek() {
            if !is_path_char(c) {
                break;
            }
            end = i + c.len_utf8();
            chars.next();
        }
        let token = blanked[start..end].trim_end_matches('.');
        let preceded_ok = start == 0
            || blanked[..start]
                .chars()
                .next_back()
                .is_some_and(|p| p.is_whitespace() || matches!(p, '(' | ',' | ':'));
        let followed_by_equals = blanked[start + token.len()..].starts_with('=');
        if preceded_ok && is_path(token) {
            out.push((token.to_owned(), followed_by_equals));
        }
    }
    out
}

/// Whether `subject` (quoted parts blanked) ends with `container "<name>"`.
fn names_container(subject: &str) -> bool {
    let subject = subject.trim_end();
    let Some(inner) = subject.strip_suffix('"') else {
        return false;
    };
    inner.rfind('"').is_some_and(|open| {
        inner[..open]
            .trim_end()
            .to_ascii_lowercase()
            .ends_with("container")
    })
}

fn first_segment(path: &str) -> &str {
    path.split(['.', '[']).next().unwrap_or(path)
}

/// The field paths a policy message names, in message order: for each violation
/// (`; `-separated, after the `Kind ns/name: ` identity and before the `[controls]`), the
/// container's path (`container "app" (spec.containers[0])`) joined with the field the
/// detail names relative to it (`sets securityContext.privileged=true`), or an absolute
/// path the detail names (`(metadata.namespace)`). Quoted values are never read as paths.
pub fn field_paths(message: &str) -> Vec<String> {
    let mut text = message.trim();
    if text.ends_with(']')
        && let Some(open) = text.rfind(" [")
    {
        text = &text[..open];
    }
    // The identity: `Kind name: ` or `Kind ns/name: ` at the start.
    if let Some((identity, rest)) = text.split_once(": ")
        && identity.starts_with(|c: char| c.is_ascii_uppercase())
        && !identity.contains('"')
        && identity.split(' ').count() <= 2
    {
        text = rest;
    }
    let mut paths: Vec<String> = Vec::new();
    for violation in split_violations(text) {
        let mut container: Option<String> = None;
        let mut detail = violation;
        let blanked = blank_quoted(violation);
        // `… container "name" (path) detail`: the parenthesised path after the quoted name.
        if let Some(open) = blanked.find(" (")
            && names_container(&blanked[..open])
            && let Some(close) = blanked[open..].find(')')
        {
            let inner = &violation[open + 2..open + close];
            if is_path(inner) {
                container = Some(inner.to_owned());
                detail = &violation[open + close + 1..];
            }
        }
        let tokens = path_tokens(detail);
        let absolute = tokens.iter().find(|(token, equals)| {
            OBJECT_FIELDS.contains(&first_segment(token)) && (token.contains('.') || *equals)
        });
        let relative = container.as_ref().and_then(|_| {
            tokens
                .iter()
                .find(|(token, _)| CONTAINER_FIELDS.contains(&first_segment(token)))
                .map(|(token, _)| token.clone())
                .or_else(|| {
                    let first = detail.split_whitespace().next()?;
                    CONTAINER_FIELDS.contains(&first).then(|| first.to_owned())
                })
        });
        let path = match (&container, relative, absolute) {
            (Some(container), Some(relative), _) => Some(format!("{container}.{relative}")),
            (_, _, Some((absolute, _))) => Some(absolute.clone()),
            (Some(container), None, None) => Some(container.clone()),
            (None, _, None) => None,
        };
        if let Some(path) = path
            && !paths.contains(&path)
        {
            paths.push(path);
        }
    }
    paths
}

/// The first paragraph of a Markdown README: the first run of text lines after the
/// headings, badges and blank lines that open it, joined with spaces.
pub fn first_paragraph(readme: &str) -> Option<String> {
    let mut lines = readme.lines().map(str::trim);
    let mut paragraph: Vec<&str> = Vec::new();
    for line in lines.by_ref() {
        let skip = line.is_empty()
            || line.starts_with('#')
            || line.starts_with("[![")
            || line.starts_with("![")
            || line.starts_with('<');
        if !skip {
            paragraph.push(line);
            break;
        }
    }
    for line in lines {
        if line.is_empty() || line.starts_with('#') || line.starts_with("```") {
            break;
        }
        paragraph.push(line);
    }
    let text = paragraph.join(" ");
    (!text.is_empty()).then_some(text)
}

/// The order of control ids: ASB first, then PCI, then anything else; within a framework by
/// the numbers of the id (`ASB 4.2` < `ASB 4.10`).
pub fn control_order(id: &str) -> (u8, String, Vec<u64>, String) {
    let (framework, number) = id.split_once(' ').unwrap_or((id, ""));
    let rank = match framework {
        "ASB" => 0,
        "PCI" => 1,
        _ => 2,
    };
    let numbers = number
        .split('.')
        .map(|n| n.parse::<u64>().unwrap_or(u64::MAX))
        .collect();
    (rank, framework.to_owned(), numbers, id.to_owned())
}

/// The label under which findings of policies without control ids are grouped.
pub const NO_CONTROL: &str = "(no control id)";

/// The message of `finding` without the `Kind ns/name: ` identity it starts with and the
/// ` [controls]` it ends with (both are shown around it), on one line.
pub fn detail(finding: &Finding) -> String {
    let mut text = finding.message.as_deref().unwrap_or("(no message)").trim();
    let identity = format!("{}: ", finding.object_label());
    if let Some(rest) = text.strip_prefix(identity.as_str()) {
        text = rest;
    }
    if let Some(controls) = &finding.controls
        && let Some(rest) = text.strip_suffix(&format!(" [{controls}]"))
    {
        text = rest;
    }
    text.replace(['\n', '\r'], " ")
}

/// Why a finding that did not allow its object does not fail the scan, if it does not.
fn not_failing_reason(report: &ScanReport, finding: &Finding) -> Option<String> {
    if finding.allowed || finding.fails(report.fail_on) {
        return None;
    }
    Some(if finding.mode == PolicyMode::Monitor {
        "monitor mode".to_owned()
    } else {
        match report.fail_on {
            Some(threshold) => format!("below --fail-on {threshold}"),
            None => "--no-fail".to_owned(),
        }
    })
}

/// The findings that did not allow their object, by control id (in [`control_order`]), each
/// list in report order.
fn by_control(report: &ScanReport) -> BTreeMap<(u8, String, Vec<u64>, String), Vec<&Finding>> {
    let mut groups: BTreeMap<_, Vec<&Finding>> = BTreeMap::new();
    for finding in report.findings.iter().filter(|f| !f.allowed) {
        let ids = finding.control_ids();
        if ids.is_empty() {
            groups
                .entry((3, String::new(), Vec::new(), NO_CONTROL.to_owned()))
                .or_default()
                .push(finding);
        }
        for id in ids {
            groups.entry(control_order(&id)).or_default().push(finding);
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_the_message_format() {
        assert_eq!(
            field_paths(
                "Deployment default/legacy: init container \"sysctl\" (spec.template.spec.initContainers[0]) sets securityContext.privileged=true [ASB 7.3, PCI 7.1.2, PCI 7.2.1]"
            ),
            vec!["spec.template.spec.initContainers[0].securityContext.privileged"]
        );
        assert_eq!(
            field_paths(
                "Deployment default/legacy: container \"app\" (spec.template.spec.containers[0]) image \"nginx:1.25\" uses registry \"docker.io\", which is not in allowedRegistries [ASB 7.1]"
            ),
            vec!["spec.template.spec.containers[0].image"]
        );
        assert_eq!(
            field_paths(
                "Deployment default/legacy: is in namespace \"default\" (metadata.namespace), where workloads may not be created [ASB 4.2, ASB 6.13]"
            ),
            vec!["metadata.namespace"]
        );
        // Several violations; a quoted value shaped like a path is not one.
        assert_eq!(
            field_paths(
                "Pod ns/p: container \"a\" (spec.containers[0]) sets securityContext.privileged=true; ephemeral container \"dbg\" (spec.ephemeralContainers[0]) image \"registry.example.com/x\" is denied; sets spec.hostNetwork=true [ASB 7.3]"
            ),
            vec![
                "spec.containers[0].securityContext.privileged",
                "spec.ephemeralContainers[0].image",
                "spec.hostNetwork"
            ]
        );
        // A container path alone, and messages that name no path.
        assert_eq!(
            field_paths("Pod ns/p: container \"a\" (spec.containers[0]) is not allowed"),
            vec!["spec.containers[0]"]
        );
        assert!(field_paths("pod rejected [ASB 7.3]").is_empty());
        assert!(field_paths("uses docker.io, see example.com").is_empty());
    }

    #[test]
    fn first_paragraphs() {
        assert_eq!(
            first_paragraph(
                "# no-privileged-containers\n\nRejects privileged\ncontainers.\n\n## Settings\n"
            ),
            Some("Rejects privileged containers.".to_owned())
        );
        assert_eq!(first_paragraph("# title\n\n"), None);
    }

    #[test]
    fn controls_are_ordered_by_framework_and_number() {
        let mut ids = vec![
            "PCI 7.2.1",
            "ASB 4.10",
            "ASB 4.2",
            "PCI 7.1.2",
            "ASB 7.3",
            "X 1",
        ];
        ids.sort_by_key(|id| control_order(id));
        assert_eq!(
            ids,
            vec![
                "ASB 4.2",
                "ASB 4.10",
                "ASB 7.3",
                "PCI 7.1.2",
                "PCI 7.2.1",
                "X 1"
            ]
        );
    }
}
