//! The JUnit XML report of a scan, for CI test-report views: a `testsuite` per policy with a
//! `testcase` per object it evaluated; a violation that fails the scan is a `failure`, a
//! failed evaluation an `error`, a violation that does not fail the scan (monitor mode,
//! below `--fail-on`) is `skipped` with the reason; input errors form a last `inputs` suite.
//! The output follows the common JUnit schema (Jenkins xunit-plugin `junit-10.xsd`).

use std::fmt::Write as _;

use super::{Finding, Outcome, ScanReport, detail};

/// `text` escaped for an XML attribute value (line breaks as character references);
/// characters XML 1.0 cannot carry are dropped.
pub fn escape(text: &str) -> String {
    escape_with(text, true)
}

/// `text` escaped for XML character data (line breaks kept).
pub fn escape_text(text: &str) -> String {
    escape_with(text, false)
}

fn escape_with(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' if attribute => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' | '\r' | '\t' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The body of a failure, error or skipped element: the whole message and where it is.
fn body(finding: &Finding) -> String {
    let mut text = finding
        .message
        .clone()
        .unwrap_or_else(|| "(no message)".to_owned());
    let _ = write!(text, "\nlocation: {}:{}", finding.file, finding.line);
    if let Some(source) = &finding.source {
        let _ = write!(text, " (# Source: {source})");
    }
    if !finding.paths.is_empty() {
        let _ = write!(text, "\nfield paths: {}", finding.paths.join(", "));
    }
    if let Some(controls) = &finding.controls {
        let _ = write!(text, "\ncontrols: {controls}");
    }
    let _ = write!(
        text,
        "\nseverity: {}, mode: {}",
        finding.severity, finding.mode
    );
    text
}

impl ScanReport {
    /// The JUnit XML report.
    pub fn render_junit(&self) -> String {
        let mut suites = String::new();
        let (mut tests, mut failures, mut errors) = (0usize, 0usize, 0usize);
        let mut ids: Vec<&str> = self.policies.iter().map(|p| p.id.as_str()).collect();
        for finding in &self.findings {
            if !ids.contains(&finding.policy.as_str()) {
                ids.push(&finding.policy);
            }
        }
        for id in ids {
            let findings: Vec<&Finding> = self.findings.iter().filter(|f| f.policy == id).collect();
            let failed = findings
                .iter()
                .filter(|f| f.fails(self.fail_on) && f.outcome != Outcome::Error)
                .count();
            let errored = findings
                .iter()
                .filter(|f| f.fails(self.fail_on) && f.outcome == Outcome::Error)
                .count();
            let skipped = findings
                .iter()
                .filter(|f| !f.allowed && !f.fails(self.fail_on))
                .count();
            tests += findings.len();
            failures += failed;
            errors += errored;
            let _ = writeln!(
                suites,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"{errored}\" skipped=\"{skipped}\">",
                escape(id),
                findings.len()
            );
            if let Some(policy) = self.policies.iter().find(|p| p.id == id) {
                suites.push_str("    <properties>\n");
                for (name, value) in [
                    ("severity", policy.severity.to_string()),
                    ("mode", policy.mode.to_string()),
                    ("controls", policy.controls.join(", ")),
                ] {
                    let _ = writeln!(
                        suites,
                        "      <property name=\"{name}\" value=\"{}\"/>",
                        escape(&value)
                    );
                }
                suites.push_str("    </properties>\n");
            }
            for finding in findings {
                let name = format!(
                    "{} ({}:{})",
                    finding.object_label(),
                    finding.file,
                    finding.line
                );
                let open = format!(
                    "    <testcase name=\"{}\" classname=\"{}\"",
                    escape(&name),
                    escape(id)
                );
                if finding.allowed {
                    if finding.warnings.is_empty() {
                        let _ = writeln!(suites, "{open}/>");
                    } else {
                        // Warnings of an accepted object: the test passed, with output.
                        let _ = writeln!(
                            suites,
                            "{open}>\n      <system-out>{}</system-out>\n    </testcase>",
                            escape_text(&format!(
                                "warning: {}",
                                finding.warnings.join("\nwarning: ")
                            ))
                        );
                    }
                    continue;
                }
                let element = match (finding.fails(self.fail_on), finding.outcome) {
                    (true, Outcome::Error) => {
                        format!(
                            "<error type=\"evaluation\" message=\"{}\">",
                            escape(&detail(finding))
                        )
                    }
                    (true, _) => format!(
                        "<failure type=\"{}\" message=\"{}\">",
                        finding.severity,
                        escape(&detail(finding))
                    ),
                    (false, _) => {
                        let reason = if finding.mode == host_test::response::PolicyMode::Monitor {
                            "monitor mode".to_owned()
                        } else {
                            match self.fail_on {
                                Some(threshold) => format!("below --fail-on {threshold}"),
                                None => "--no-fail".to_owned(),
                            }
                        };
                        format!(
                            "<skipped message=\"{}\">",
                            escape(&format!("not enforced ({reason}): {}", detail(finding)))
                        )
                    }
                };
                let close = &element[1..element.find(' ').unwrap_or(element.len() - 1)];
                let _ = writeln!(
                    suites,
                    "{open}>\n      {element}{}</{close}>\n    </testcase>",
                    escape_text(&body(finding))
                );
            }
            suites.push_str("  </testsuite>\n");
        }
        if !self.input_errors.is_empty() || !self.warnings.is_empty() || !self.notes.is_empty() {
            tests += self.input_errors.len();
            errors += self.input_errors.len();
            let _ = writeln!(
                suites,
                "  <testsuite name=\"inputs\" tests=\"{}\" failures=\"0\" errors=\"{}\" skipped=\"0\">",
                self.input_errors.len(),
                self.input_errors.len()
            );
            for problem in &self.input_errors {
                let name = match problem.line {
                    Some(line) => format!("{}:{line}", problem.file),
                    None => problem.file.clone(),
                };
                let _ = writeln!(
                    suites,
                    "    <testcase name=\"{}\" classname=\"inputs\">\n      <error type=\"input\" message=\"{}\">{}</error>\n    </testcase>",
                    escape(&name),
                    escape(&problem.message),
                    escape_text(&problem.to_string())
                );
            }
            if !self.warnings.is_empty() || !self.notes.is_empty() {
                let text: Vec<String> = self
                    .warnings
                    .iter()
                    .map(|w| format!("warning: {w}"))
                    .chain(self.notes.iter().map(|n| format!("note: {n}")))
                    .collect();
                let _ = writeln!(
                    suites,
                    "    <system-err>{}</system-err>",
                    escape_text(&text.join("\n"))
                );
            }
            suites.push_str("  </testsuite>\n");
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"host-test scan\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n{suites}</testsuites>\n"
        )
    }
}
