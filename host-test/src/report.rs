//! The human and machine reports of a scan that are not a standard format: the table
//! (grouped by control, then object), JSON, and the Markdown compliance summary for pull
//! request comments; plus what they share: field paths read from the policies' messages,
//! the order of control ids, and the first paragraph of a README.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::response::PolicyMode;
use crate::scan::{Finding, Outcome, ScanReport};

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

impl ScanReport {
    /// The human report: every evaluation that did not allow its object, grouped by control
    /// id and then by object, each with its status (`FAIL`, `WARN` when it does not fail
    /// the scan, `ERROR` when the evaluation failed), policy, severity, field paths and
    /// message; then a line saying how many fail the scan, and the summary line.
    pub fn render_table(&self) -> String {
        let mut out = String::new();
        // Where each finding was first shown, so that its message is printed once.
        let mut shown: BTreeMap<*const Finding, String> = BTreeMap::new();
        for ((_, _, _, control), findings) in by_control(self) {
            let _ = writeln!(out, "{control}");
            let mut last_object: Option<(String, usize, String)> = None;
            for finding in findings {
                let object = (finding.file.clone(), finding.line, finding.object_label());
                if last_object.as_ref() != Some(&object) {
                    let source = finding
                        .source
                        .as_deref()
                        .map(|s| format!("  (# Source: {s})"))
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "  {}:{}  {}{source}",
                        finding.file,
                        finding.line,
                        finding.object_label()
                    );
                    last_object = Some(object);
                }
                let status = match (finding.outcome, finding.fails(self.fail_on)) {
                    (Outcome::Error, _) => "ERROR",
                    (_, true) => "FAIL",
                    (_, false) => "WARN",
                };
                let paths = if finding.paths.is_empty() {
                    "-".to_owned()
                } else {
                    finding.paths.join(", ")
                };
                let reason = not_failing_reason(self, finding)
                    .map(|r| format!("  ({r})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "    {status:<5} {}  {}  {paths}{reason}",
                    finding.policy, finding.severity
                );
                match shown.get(&std::ptr::from_ref(finding)) {
                    Some(first) => {
                        let _ = writeln!(out, "          (message under {first})");
                    }
                    None => {
                        let _ = writeln!(out, "          {}", detail(finding));
                        shown.insert(std::ptr::from_ref(finding), control.clone());
                    }
                }
            }
            out.push('\n');
        }
        let not_allowed = self.findings.iter().filter(|f| !f.allowed).count();
        if not_allowed > 0 {
            let threshold = match self.fail_on {
                Some(severity) => format!("--fail-on {severity}"),
                None => "--no-fail".to_owned(),
            };
            let _ = writeln!(
                out,
                "{} of {not_allowed} fail the scan ({threshold})",
                self.failing()
            );
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// The JSON report (pretty-printed): `summary` (`objects`, `evaluations`, `rejected`,
    /// `errors`, `failing`, `failOn`, `exitCode`), `policies` (`id`, `controls`,
    /// `severity`, `mode`), `findings` (every evaluation, allowed ones included),
    /// `inputErrors` and `warnings` (`file`, `line`, `message`).
    pub fn render_json<'a>(&'a self) -> String {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Summary {
            objects: usize,
            evaluations: usize,
            rejected: usize,
            errors: usize,
            failing: usize,
            fail_on: Option<crate::scan::Severity>,
            exit_code: u8,
        }
        #[derive(serde::Serialize)]
        struct Policy<'a> {
            id: &'a str,
            controls: &'a [String],
            severity: crate::scan::Severity,
            mode: PolicyMode,
        }
        #[derive(serde::Serialize)]
        struct Problem<'a> {
            file: &'a str,
            line: Option<usize>,
            message: &'a str,
        }
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Report<'a> {
            summary: Summary,
            policies: Vec<Policy<'a>>,
            findings: &'a [Finding],
            input_errors: Vec<Problem<'a>>,
            warnings: Vec<Problem<'a>>,
        }
        let problems = |list: &'a [crate::scan::InputError]| -> Vec<Problem<'a>> {
            list.iter()
                .map(|e| Problem {
                    file: &e.file,
                    line: e.line,
                    message: &e.message,
                })
                .collect()
        };
        let report = Report {
            summary: Summary {
                objects: self.objects,
                evaluations: self.evaluations(),
                rejected: self.rejected(),
                errors: self.errors(),
                failing: self.failing(),
                fail_on: self.fail_on,
                exit_code: self.exit_code(),
            },
            policies: self
                .policies
                .iter()
                .map(|p| Policy {
                    id: &p.id,
                    controls: &p.controls,
                    severity: p.severity,
                    mode: p.mode,
                })
                .collect(),
            findings: &self.findings,
            input_errors: problems(&self.input_errors),
            warnings: problems(&self.warnings),
        };
        serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".to_owned())
    }

    /// The Markdown compliance summary for a pull request comment: a headline, the counts,
    /// a table of every control of the scan's policies (failed, violations not enforced,
    /// passed or not applicable, with the policies and the objects checked), the
    /// violations (object, location, policy, severity, field paths, message) and the input
    /// errors and warnings. At most `MAX_ROWS` violations are listed.
    pub fn render_markdown(&self) -> String {
        const MAX_ROWS: usize = 200;
        let mut out = String::new();
        let failing = self.failing();
        let not_allowed = self.findings.iter().filter(|f| !f.allowed).count();
        let headline = if !self.input_errors.is_empty() {
            format!(
                "⛔ Manifest scan: {} input error(s)",
                self.input_errors.len()
            )
        } else if failing > 0 {
            format!("❌ Manifest scan: {failing} violation(s) fail the check")
        } else if not_allowed > 0 {
            format!("⚠️ Manifest scan: passed, with {not_allowed} violation(s) not enforced")
        } else {
            "✅ Manifest scan: passed".to_owned()
        };
        let threshold = match self.fail_on {
            Some(severity) => format!("severity {severity} and above fails"),
            None => "nothing fails (--no-fail)".to_owned(),
        };
        let _ = writeln!(out, "### {headline}\n");
        let _ = writeln!(
            out,
            "{} objects · {} evaluations · {} rejected · {} errors · {threshold}\n",
            self.objects,
            self.evaluations(),
            self.rejected(),
            self.errors()
        );

        // Every control of the scan's policies, with what happened to it.
        struct Control<'a> {
            policies: BTreeSet<&'a str>,
            objects: BTreeSet<(String, usize, String)>,
            failing: usize,
            violations: usize,
        }
        let mut controls: BTreeMap<(u8, String, Vec<u64>, String), Control<'_>> = BTreeMap::new();
        let key_of = |id: Option<&str>| match id {
            Some(id) => control_order(id),
            None => (3, String::new(), Vec::new(), NO_CONTROL.to_owned()),
        };
        for policy in &self.policies {
            let ids: Vec<Option<&str>> = if policy.controls.is_empty() {
                vec![None]
            } else {
                policy.controls.iter().map(|c| Some(c.as_str())).collect()
            };
            for id in ids {
                controls
                    .entry(key_of(id))
                    .or_insert_with(|| Control {
                        policies: BTreeSet::new(),
                        objects: BTreeSet::new(),
                        failing: 0,
                        violations: 0,
                    })
                    .policies
                    .insert(policy.id.as_str());
            }
        }
        for finding in &self.findings {
            let ids = finding.control_ids();
            let keys: Vec<_> = if ids.is_empty() {
                vec![key_of(None)]
            } else {
                ids.iter().map(|c| key_of(Some(c))).collect()
            };
            for key in keys {
                let control = controls.entry(key).or_insert_with(|| Control {
                    policies: BTreeSet::new(),
                    objects: BTreeSet::new(),
                    failing: 0,
                    violations: 0,
                });
                control.policies.insert(finding.policy.as_str());
                control.objects.insert((
                    finding.file.clone(),
                    finding.line,
                    finding.object_label(),
                ));
                if !finding.allowed {
                    control.violations += 1;
                }
                if finding.fails(self.fail_on) {
                    control.failing += 1;
                }
            }
        }
        let (mut passed, mut failed, mut not_applicable) = (0, 0, 0);
        let mut rows = String::new();
        for ((_, _, _, id), control) in &controls {
            let status = if control.failing > 0 {
                failed += 1;
                "❌ failed"
            } else if control.violations > 0 {
                failed += 1;
                "⚠️ violations not enforced"
            } else if !control.objects.is_empty() {
                passed += 1;
                "✅ passed"
            } else {
                not_applicable += 1;
                "➖ not applicable"
            };
            let policies: Vec<String> = control
                .policies
                .iter()
                .map(|p| format!("`{}`", md_code(p)))
                .collect();
            let _ = writeln!(
                rows,
                "| {} | {status} | {} | {} | {} |",
                md_text(id),
                policies.join(", "),
                control.objects.len(),
                control.violations
            );
        }
        let _ = writeln!(
            out,
            "**Controls:** {failed} failed · {passed} passed · {not_applicable} not applicable\n"
        );
        out.push_str("| control | status | policies | objects checked | violations |\n");
        out.push_str("|---|---|---|---:|---:|\n");
        out.push_str(&rows);

        let violations: Vec<&Finding> = self.findings.iter().filter(|f| !f.allowed).collect();
        if !violations.is_empty() {
            out.push_str("\n#### Violations\n\n");
            out.push_str("| | severity | object | location | policy | field path | message |\n");
            out.push_str("|---|---|---|---|---|---|---|\n");
            for finding in violations.iter().take(MAX_ROWS) {
                let mark = match (finding.outcome, finding.fails(self.fail_on)) {
                    (Outcome::Error, _) => "⛔",
                    (_, true) => "❌",
                    (_, false) => "⚠️",
                };
                let severity = match not_failing_reason(self, finding) {
                    Some(reason) => format!("{} ({reason})", finding.severity),
                    None => finding.severity.to_string(),
                };
                let mut location = format!("`{}:{}`", md_code(&finding.file), finding.line);
                if let Some(source) = &finding.source {
                    let _ = write!(location, "<br>`# Source: {}`", md_code(source));
                }
                let paths = if finding.paths.is_empty() {
                    "—".to_owned()
                } else {
                    finding
                        .paths
                        .iter()
                        .map(|p| format!("`{}`", md_code(p)))
                        .collect::<Vec<_>>()
                        .join("<br>")
                };
                let _ = writeln!(
                    out,
                    "| {mark} | {} | `{}` | {location} | `{}` | {paths} | {} |",
                    md_text(&severity),
                    md_code(&finding.object_label()),
                    md_code(&finding.policy),
                    md_text(&detail(finding))
                );
            }
            if violations.len() > MAX_ROWS {
                let _ = writeln!(
                    out,
                    "\n… and {} more (see the full report).",
                    violations.len() - MAX_ROWS
                );
            }
        }
        for (title, list) in [
            ("Input errors", &self.input_errors),
            ("Warnings", &self.warnings),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n#### {title}\n");
            for problem in list {
                let location = match problem.line {
                    Some(line) => format!("{}:{line}", problem.file),
                    None => problem.file.clone(),
                };
                let _ = writeln!(
                    out,
                    "- `{}`: {}",
                    md_code(&location),
                    md_text(&problem.message)
                );
            }
        }
        out
    }
}

/// Text for a Markdown table cell: pipes, HTML and line breaks neutralised.
fn md_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// Text for a Markdown code span inside a table cell.
fn md_code(text: &str) -> String {
    text.replace('`', "'")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
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
