//! The Markdown compliance summary for pull-request comments.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{Finding, NO_CONTROL, Outcome, ScanReport, control_order, detail, not_failing_reason};

impl ScanReport {
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
        let inputs = match (self.input_errors.len(), self.input_errors_fail()) {
            (0, _) => String::new(),
            (n, true) => format!("; {n} input(s) could not be read (they fail the check)"),
            (n, false) => format!("; {n} input(s) could not be read (not scanned)"),
        };
        let headline = if failing > 0 {
            format!("❌ Manifest scan: {failing} violation(s) fail the check{inputs}")
        } else if self.input_errors_fail() {
            format!(
                "❌ Manifest scan: {} input(s) could not be read (they fail the check)",
                self.input_errors.len()
            )
        } else if not_allowed > 0 {
            format!(
                "⚠️ Manifest scan: passed, with {not_allowed} violation(s) not enforced{inputs}"
            )
        } else if !inputs.is_empty() {
            format!("⚠️ Manifest scan: passed{inputs}")
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
        let noted: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| f.allowed && !f.warnings.is_empty())
            .collect();
        if !noted.is_empty() {
            let _ = writeln!(out, "\n#### Warnings of accepted objects\n");
            for finding in noted {
                for warning in &finding.warnings {
                    let _ = writeln!(
                        out,
                        "- `{}` `{}:{}` `{}`: {}",
                        md_code(&finding.object_label()),
                        md_code(&finding.file),
                        finding.line,
                        md_code(&finding.policy),
                        md_text(warning)
                    );
                }
            }
        }
        for (title, list) in [
            ("Input errors", &self.input_errors),
            ("Warnings", &self.warnings),
            ("Notes", &self.notes),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n#### {title}\n");
            for problem in list {
                if problem.file.is_empty() {
                    let _ = writeln!(out, "- {}", md_text(&problem.message));
                    continue;
                }
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
