//! The human report: findings grouped by control id, then object.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Finding, Outcome, ScanReport, by_control, detail, not_failing_reason};

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
}
