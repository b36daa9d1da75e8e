//! The JSON report.

use host_test::response::PolicyMode;

use super::{Finding, ScanReport};

impl ScanReport {
    /// The JSON report (pretty-printed): `summary` (`objects`, `evaluations`, `rejected`,
    /// `errors`, `failing`, `failOn`, `inputErrors` (`fail` or `warn`), `exitCode`),
    /// `policies` (`id`, `controls`, `severity`, `mode`), `findings` (every evaluation,
    /// allowed ones included), `inputErrors`, `warnings` and `notes` (`file`, `line`,
    /// `message`).
    pub fn render_json<'a>(&'a self) -> String {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Summary {
            objects: usize,
            evaluations: usize,
            rejected: usize,
            errors: usize,
            failing: usize,
            fail_on: Option<crate::policies::Severity>,
            input_errors: &'static str,
            exit_code: u8,
        }
        #[derive(serde::Serialize)]
        struct Policy<'a> {
            id: &'a str,
            controls: &'a [String],
            severity: crate::policies::Severity,
            mode: PolicyMode,
        }
        #[derive(serde::Serialize)]
        struct Problem<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            file: Option<&'a str>,
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
            notes: Vec<Problem<'a>>,
        }
        let problems = |list: &'a [admission::manifest::InputError]| -> Vec<Problem<'a>> {
            list.iter()
                .map(|e| Problem {
                    file: (!e.file.is_empty()).then_some(e.file.as_str()),
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
                input_errors: match self.input_errors_mode {
                    super::InputErrorMode::Fail => "fail",
                    super::InputErrorMode::Warn => "warn",
                },
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
            notes: problems(&self.notes),
        };
        serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".to_owned())
    }
}
