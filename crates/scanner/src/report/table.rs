//! The human report: by default findings grouped by file and object, one line per finding
//! with all its control ids (`--group-by object`); or grouped by control id, then object, for
//! an auditor (`--group-by control`). Both show the warnings of accepted objects.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Finding, Outcome, ScanReport, by_control, detail, not_failing_reason};

/// How the table groups findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// By file, then object (the default): one line per finding with its control ids.
    #[default]
    Object,
    /// By control id, then object: a finding appears under each of its controls.
    Control,
}

impl std::str::FromStr for GroupBy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "object" | "file" => Ok(GroupBy::Object),
            "control" => Ok(GroupBy::Control),
            _ => Err(format!(
                "unknown grouping '{s}' (expected object or control)"
            )),
        }
    }
}

/// `FAIL`, `WARN` (does not fail the scan) or `ERROR` (the evaluation failed).
fn status(report: &ScanReport, finding: &Finding) -> &'static str {
    match (finding.outcome, finding.fails(report.fail_on)) {
        (Outcome::Error, _) => "ERROR",
        (_, true) => "FAIL",
        (_, false) => "WARN",
    }
}

/// `  file:line  Kind ns/name  (# Source: …)`.
fn object_line(finding: &Finding) -> String {
    let source = finding
        .source
        .as_deref()
        .map(|s| format!("  (# Source: {s})"))
        .unwrap_or_default();
    format!(
        "{}:{}  {}{source}",
        finding.file,
        finding.line,
        finding.object_label()
    )
}

fn paths(finding: &Finding) -> String {
    if finding.paths.is_empty() {
        "-".to_owned()
    } else {
        finding.paths.join(", ")
    }
}

impl ScanReport {
    /// The human report grouped as `group` says, then the accepted objects' warnings, a line
    /// saying how many findings fail the scan, and the summary line.
    pub fn render_table_grouped(&self, group: GroupBy) -> String {
        let mut out = match group {
            GroupBy::Object => self.table_by_object(),
            GroupBy::Control => self.table_by_control(),
        };
        let noted: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| f.allowed && !f.warnings.is_empty())
            .collect();
        if !noted.is_empty() {
            let _ = writeln!(out, "Warnings of accepted objects");
            let mut last: Option<(String, usize, String)> = None;
            for finding in noted {
                let object = (finding.file.clone(), finding.line, finding.object_label());
                if last.as_ref() != Some(&object) {
                    let _ = writeln!(out, "  {}", object_line(finding));
                    last = Some(object);
                }
                for warning in &finding.warnings {
                    let _ = writeln!(
                        out,
                        "    NOTE  {}  [{}]  {}",
                        finding.policy,
                        finding.control_ids().join(", "),
                        warning.replace(['\n', '\r'], " ")
                    );
                }
            }
            out.push('\n');
        }
        if !self.input_errors.is_empty() {
            let _ = writeln!(
                out,
                "Inputs not scanned ({})",
                if self.input_errors_fail() {
                    "they fail the scan; --input-errors warn to only report them"
                } else {
                    "reported only: --input-errors warn"
                }
            );
            for problem in &self.input_errors {
                let _ = writeln!(
                    out,
                    "  ERROR  {}",
                    problem.to_string().replace(['\n', '\r'], " ")
                );
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

    /// [`ScanReport::render_table_grouped`] by file and object (the default).
    pub fn render_table(&self) -> String {
        self.render_table_grouped(GroupBy::Object)
    }

    /// Every evaluation that did not allow its object, by file (in scan order) and object,
    /// one line per finding: status, policy, severity, control ids, field paths, then the
    /// message.
    fn table_by_object(&self) -> String {
        let mut out = String::new();
        let mut last_file: Option<&str> = None;
        let mut last_object: Option<(usize, String)> = None;
        for finding in self.findings.iter().filter(|f| !f.allowed) {
            if last_file != Some(finding.file.as_str()) {
                if last_file.is_some() {
                    out.push('\n');
                }
                let _ = writeln!(out, "{}", finding.file);
                last_file = Some(&finding.file);
                last_object = None;
            }
            let object = (finding.line, finding.object_label());
            if last_object.as_ref() != Some(&object) {
                let source = finding
                    .source
                    .as_deref()
                    .map(|s| format!("  (# Source: {s})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  :{}  {}{source}",
                    finding.line,
                    finding.object_label()
                );
                last_object = Some(object);
            }
            let reason = not_failing_reason(self, finding)
                .map(|r| format!("  ({r})"))
                .unwrap_or_default();
            let controls = finding.control_ids();
            let controls = if controls.is_empty() {
                String::new()
            } else {
                format!("  [{}]", controls.join(", "))
            };
            let _ = writeln!(
                out,
                "    {:<5} {}  {}{controls}  {}{reason}",
                status(self, finding),
                finding.policy,
                finding.severity,
                paths(finding)
            );
            let _ = writeln!(out, "          {}", detail(finding));
        }
        if last_file.is_some() {
            out.push('\n');
        }
        out
    }

    /// Every evaluation that did not allow its object, grouped by control id and then by
    /// object, each with its status, policy, severity, field paths and message (printed
    /// under its first control, referred to under the others).
    fn table_by_control(&self) -> String {
        let mut out = String::new();
        // Where each finding was first shown, so that its message is printed once.
        let mut shown: BTreeMap<*const Finding, String> = BTreeMap::new();
        for ((_, _, _, control), findings) in by_control(self) {
            let _ = writeln!(out, "{control}");
            let mut last_object: Option<(String, usize, String)> = None;
            for finding in findings {
                let object = (finding.file.clone(), finding.line, finding.object_label());
                if last_object.as_ref() != Some(&object) {
                    let _ = writeln!(out, "  {}", object_line(finding));
                    last_object = Some(object);
                }
                let reason = not_failing_reason(self, finding)
                    .map(|r| format!("  ({r})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "    {:<5} {}  {}  {}{reason}",
                    status(self, finding),
                    finding.policy,
                    finding.severity,
                    paths(finding)
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
        out
    }
}
