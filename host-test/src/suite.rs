//! Cases as data: the `cases.yaml` model (see the workspace's `docs/cases.md`), the runner
//! that checks every case against a module — settings validation, routing by the module's
//! metadata rules, the processed AdmissionResponse — and a readable report of what failed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use crate::callbacks::ContextAwareResource;
use crate::engine::Harness;
use crate::evaluate::{EvalError, EvalOptions, PolicyModule};
use crate::fixture::ClusterFixture;
use crate::request;
use crate::response::{AdmissionResponse, PolicyMode};
use crate::state::{HostCallRecord, LogEntry};

/// Why a suite could not be loaded or run at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SuiteError {
    /// The file could not be read.
    #[error("cannot read suite {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid suite.
    #[error("cannot parse suite {path}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser error.
        #[source]
        source: serde_yaml::Error,
    },
    /// Two cases share a name.
    #[error("suite {path} has more than one case named '{name}'")]
    DuplicateCase {
        /// The file.
        path: PathBuf,
        /// The name.
        name: String,
    },
    /// The module cannot be run the way policy-server runs it.
    #[error(transparent)]
    NotRunnable(#[from] EvalError),
    /// The policies directory cannot be listed.
    #[error("cannot list {path}")]
    List {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A policy named on the command line has no suite.
    #[error("no policy '{id}' with a cases.yaml under {dir}")]
    UnknownPolicy {
        /// The id asked for.
        id: String,
        /// The policies directory.
        dir: PathBuf,
    },
}

/// Values every case of a suite starts from.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Defaults {
    /// Settings object.
    #[serde(default)]
    pub settings: Option<Value>,
    /// Policy mode.
    #[serde(default)]
    pub mode: Option<PolicyMode>,
    /// Whether mutation is allowed.
    #[serde(default)]
    pub allowed_to_mutate: Option<bool>,
    /// Cluster fixture (relative to the suite file).
    #[serde(default)]
    pub cluster: Option<PathBuf>,
    /// Host-capability allow-list.
    #[serde(default)]
    pub host_capabilities: Option<Vec<String>>,
    /// Context-aware allow-list.
    #[serde(default)]
    pub context_aware_resources: Option<Vec<ContextAwareResource>>,
    /// How Kubernetes lookups are answered.
    #[serde(default)]
    pub lookups: Option<Lookups>,
}

/// How a case's Kubernetes lookups (`kubernetes/*` host calls) are answered.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Lookups {
    /// From the cluster fixture (an empty cluster when the case names none): what a
    /// policy-server connected to a cluster answers.
    #[default]
    Cluster,
    /// Every one fails with the error policy-server gives when it runs without a cluster
    /// (`--ignore-kubernetes-connection-failure`), see [`crate::callbacks::without_cluster`].
    Fail,
}

/// What a case expects.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expect {
    /// `false`: `validate_settings` must answer invalid (the request is not evaluated).
    #[serde(default)]
    pub settings_valid: Option<bool>,
    /// The verdict.
    #[serde(default)]
    pub allowed: Option<bool>,
    /// `status.code`.
    #[serde(default)]
    pub code: Option<u16>,
    /// Substring of `status.message` (or of the settings message).
    #[serde(default)]
    pub message: Option<String>,
    /// Substrings that must all appear.
    #[serde(default)]
    pub messages: Vec<String>,
    /// Substring that must not appear.
    #[serde(default)]
    pub not_message: Option<String>,
    /// The exact decoded JSON patch; `[]` means no patch.
    #[serde(default)]
    pub patch: Option<Value>,
    /// Substrings, each found in some warning.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Audit annotations that must be present with these values.
    #[serde(default)]
    pub audit_annotations: BTreeMap<String, String>,
    /// Whether the module's rules route the request (default true).
    #[serde(default)]
    pub routed: Option<bool>,
}

impl Expect {
    fn has_verdict_checks(&self) -> bool {
        self.allowed.is_some()
            || self.code.is_some()
            || self.patch.is_some()
            || !self.warnings.is_empty()
            || !self.audit_annotations.is_empty()
    }
}

/// One case.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Case {
    /// Unique within the suite.
    pub name: String,
    /// Request file, relative to the suite file.
    #[serde(default)]
    pub request: Option<PathBuf>,
    /// Settings; replaces the defaults' settings.
    #[serde(default)]
    pub settings: Option<Value>,
    /// Policy mode.
    #[serde(default)]
    pub mode: Option<PolicyMode>,
    /// Whether mutation is allowed (default false).
    #[serde(default)]
    pub allowed_to_mutate: Option<bool>,
    /// Cluster fixture, relative to the suite file.
    #[serde(default)]
    pub cluster: Option<PathBuf>,
    /// Host-capability allow-list (default `["*"]`).
    #[serde(default)]
    pub host_capabilities: Option<Vec<String>>,
    /// Context-aware allow-list (default: the module metadata's).
    #[serde(default)]
    pub context_aware_resources: Option<Vec<ContextAwareResource>>,
    /// How Kubernetes lookups are answered (default: from the cluster fixture).
    #[serde(default)]
    pub lookups: Option<Lookups>,
    /// Expectations.
    pub expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteFile {
    #[serde(default)]
    defaults: Defaults,
    #[serde(default)]
    cases: Vec<Case>,
}

/// A loaded `cases.yaml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    /// The file.
    pub path: PathBuf,
    /// Defaults.
    pub defaults: Defaults,
    /// Cases, in file order.
    pub cases: Vec<Case>,
}

impl Suite {
    /// The directory case paths are relative to.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or_else(|| Path::new("."))
    }
}

/// Reads a suite file.
///
/// # Errors
/// When the file cannot be read or parsed (unknown keys are errors), or names repeat.
pub fn load_suite(path: impl AsRef<Path>) -> Result<Suite, SuiteError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| SuiteError::Read {
        path: path.to_owned(),
        source,
    })?;
    let file: SuiteFile = serde_yaml::from_str(&text).map_err(|source| SuiteError::Parse {
        path: path.to_owned(),
        source,
    })?;
    let mut names = BTreeSet::new();
    for case in &file.cases {
        if !names.insert(case.name.as_str()) {
            return Err(SuiteError::DuplicateCase {
                path: path.to_owned(),
                name: case.name.clone(),
            });
        }
    }
    Ok(Suite {
        path: path.to_owned(),
        defaults: file.defaults,
        cases: file.cases,
    })
}

/// How a suite is run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Policy id (default: the module name).
    pub policy_id: Option<String>,
    /// Run a module policy-server would refuse (unannotated, or not protocol v1).
    pub allow_unannotated: bool,
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case name.
    pub name: String,
    /// What did not meet the expectations (empty when the case passed).
    pub problems: Vec<String>,
    /// The AdmissionResponse, when the request was evaluated.
    pub response: Option<AdmissionResponse>,
    /// `(valid, message)` of `validate_settings`.
    pub settings: Option<(bool, Option<String>)>,
    /// Whether the module's rules route the request, when checked.
    pub routed: Option<bool>,
    /// Captured guest output.
    pub log: Vec<LogEntry>,
    /// The host calls of the evaluation (none when the request was not evaluated).
    pub host_calls: Vec<HostCallRecord>,
}

impl CaseResult {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The outcome of a suite.
#[derive(Debug, Clone)]
pub struct SuiteReport {
    /// Policy id.
    pub policy: String,
    /// The suite file.
    pub suite: PathBuf,
    /// One result per case, in file order.
    pub cases: Vec<CaseResult>,
}

impl SuiteReport {
    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed()).count()
    }

    /// Cases that failed.
    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }

    /// One `FAIL` line per failed case with its problems, followed by the response (and
    /// up to 20 log lines) indented below it.
    pub fn render_failures(&self) -> String {
        let mut out = String::new();
        for case in self.cases.iter().filter(|c| !c.passed()) {
            let _ = writeln!(
                out,
                "FAIL {} :: {}: {}",
                self.policy,
                case.name,
                case.problems.join("; ")
            );
            if let Some((valid, message)) = &case.settings {
                let _ = writeln!(
                    out,
                    "    settings: valid={valid} message={}",
                    message.as_deref().unwrap_or("null")
                );
            }
            if let Some(response) = &case.response {
                let _ = writeln!(out, "    response: {}", response.to_json());
            }
            for entry in case.log.iter().take(20) {
                let _ = writeln!(out, "    log ({:?}): {}", entry.source, entry.text);
            }
        }
        out
    }
}

/// Runs every case of `suite` against `module`.
///
/// # Errors
/// When the module is not runnable and `allow_unannotated` is not set.
pub fn run_suite(
    module: &PolicyModule,
    suite: &Suite,
    options: &RunOptions,
) -> Result<SuiteReport, SuiteError> {
    if !options.allow_unannotated {
        module.check_runnable()?;
    }
    let policy = options
        .policy_id
        .clone()
        .unwrap_or_else(|| module.name().to_owned());
    let mut fixtures = FixtureCache::new();
    let cases = suite
        .cases
        .iter()
        .map(|case| run_case(module, suite, case, &policy, &mut fixtures))
        .collect();
    Ok(SuiteReport {
        policy,
        suite: suite.path.clone(),
        cases,
    })
}

/// Fixtures already read, by path (each read once per suite run).
pub type FixtureCache = HashMap<PathBuf, Result<Arc<ClusterFixture>, String>>;

/// A case's settings and evaluation options with the suite's defaults applied and its
/// cluster fixture read (and turned into failing lookups for `lookups: fail`).
#[derive(Debug, Clone)]
pub struct ResolvedCase {
    /// The settings object (`null` when none is given).
    pub settings: Value,
    /// The evaluation options (policy-server's configuration of the policy).
    pub options: EvalOptions,
    /// How Kubernetes lookups are answered.
    pub lookups: Lookups,
}

/// Applies the suite's defaults to `case` and reads its cluster fixture.
///
/// # Errors
/// When the cluster fixture cannot be read.
pub fn resolve_case(
    suite: &Suite,
    case: &Case,
    policy: &str,
    fixtures: &mut FixtureCache,
) -> Result<ResolvedCase, String> {
    let defaults = &suite.defaults;
    let settings = case
        .settings
        .clone()
        .or_else(|| defaults.settings.clone())
        .unwrap_or(Value::Null);
    let lookups = case.lookups.or(defaults.lookups).unwrap_or_default();
    let cluster = match case.cluster.as_ref().or(defaults.cluster.as_ref()) {
        Some(path) => {
            let path = suite.dir().join(path);
            let loaded = fixtures
                .entry(path.clone())
                .or_insert_with(|| {
                    ClusterFixture::load(&path)
                        .map(Arc::new)
                        .map_err(|e| error_chain(&e))
                })
                .clone();
            Some(loaded?)
        }
        None => None,
    };
    let cluster = match lookups {
        Lookups::Cluster => cluster,
        Lookups::Fail => Some(Arc::new(crate::callbacks::without_cluster(
            cluster.as_deref(),
        ))),
    };
    let options = EvalOptions {
        policy_id: Some(policy.to_owned()),
        mode: case.mode.or(defaults.mode).unwrap_or_default(),
        allowed_to_mutate: case
            .allowed_to_mutate
            .or(defaults.allowed_to_mutate)
            .unwrap_or(false),
        custom_message: None,
        host_capabilities: case
            .host_capabilities
            .clone()
            .or_else(|| defaults.host_capabilities.clone())
            .unwrap_or_else(|| vec!["*".to_owned()]),
        context_aware_resources: case
            .context_aware_resources
            .clone()
            .or_else(|| defaults.context_aware_resources.clone()),
        cluster,
        hidden_object: None,
    };
    Ok(ResolvedCase {
        settings,
        options,
        lookups,
    })
}

fn run_case(
    module: &PolicyModule,
    suite: &Suite,
    case: &Case,
    policy: &str,
    fixtures: &mut FixtureCache,
) -> CaseResult {
    let mut result = CaseResult {
        name: case.name.clone(),
        problems: Vec::new(),
        response: None,
        settings: None,
        routed: None,
        log: Vec::new(),
        host_calls: Vec::new(),
    };
    let expect = &case.expect;
    let ResolvedCase {
        settings, options, ..
    } = match resolve_case(suite, case, policy, fixtures) {
        Ok(resolved) => resolved,
        Err(e) => {
            result.problems.push(e);
            return result;
        }
    };

    let outcome = match module.validate_settings_with(&settings, &options) {
        Ok(outcome) => outcome,
        Err(e) => {
            result.problems.push(error_chain(&e));
            return result;
        }
    };
    result.settings = Some((outcome.valid, outcome.message.clone()));
    result.log = outcome.log.clone();

    if expect.settings_valid == Some(false) {
        if expect.has_verdict_checks() {
            result.problems.push(
                "a 'settingsValid: false' case checks only the settings message; drop allowed/code/patch/warnings/auditAnnotations".to_owned(),
            );
        }
        if outcome.valid {
            result.problems.push(
                "settingsValid: expected false, but validate_settings answered valid".to_owned(),
            );
        } else {
            check_message(&mut result.problems, expect, outcome.message.as_deref());
        }
        return result;
    }
    if !outcome.valid {
        result.problems.push(format!(
            "settings are not valid: {}",
            outcome.message.as_deref().unwrap_or("(no message)")
        ));
        return result;
    }

    let Some(request_path) = &case.request else {
        result.problems.push(
            "the case has no request (only a 'settingsValid: false' case may omit it)".to_owned(),
        );
        return result;
    };
    let request = match request::load_request(suite.dir().join(request_path)) {
        Ok(request) => request,
        Err(e) => {
            result.problems.push(error_chain(&e));
            return result;
        }
    };

    let expected_routed = expect.routed.unwrap_or(true);
    match module.metadata() {
        Some(metadata) => {
            let routed = metadata.routes_request(&request);
            result.routed = Some(routed);
            if routed != expected_routed {
                result.problems.push(if routed {
                    "routed: expected false, but the module's rules match the request".to_owned()
                } else {
                    format!(
                        "routed: the module's rules do not match {} (the cluster would never send it; say 'routed: false' if that is the point)",
                        describe_route(&request)
                    )
                });
                return result;
            }
            // An unrouted case that states a verdict is still evaluated: the module must also
            // behave if an operator widens the rules (e.g. adds DELETE) in the CRD.
            if !routed && expect.allowed.is_none() {
                return result;
            }
        }
        None if !expected_routed => {
            result
                .problems
                .push("routed: cannot check routing of a module without metadata".to_owned());
            return result;
        }
        None => {}
    }

    let evaluation = match module.validate_with(&request, &settings, &options) {
        Ok(evaluation) => evaluation,
        Err(e) => {
            result.problems.push(error_chain(&e));
            return result;
        }
    };
    result.log.extend(evaluation.log.iter().cloned());
    result.host_calls = evaluation.host_calls.clone();
    let response = &evaluation.response;
    let problems = &mut result.problems;
    match expect.allowed {
        Some(allowed) if allowed != response.allowed => problems.push(format!(
            "allowed: expected {allowed}, got {}",
            response.allowed
        )),
        Some(_) => {}
        None => problems.push("expect.allowed is required for an evaluated case".to_owned()),
    }
    if let Some(code) = expect.code
        && response.code() != Some(code)
    {
        problems.push(format!(
            "code: expected {code}, got {}",
            response
                .code()
                .map_or_else(|| "none".to_owned(), |c| c.to_string())
        ));
    }
    check_message(problems, expect, response.message());
    if let Some(expected) = &expect.patch {
        let no_patch = expected.as_array().is_some_and(Vec::is_empty);
        match (&evaluation.patch, no_patch) {
            (None, true) => {}
            (Some(got), true) => problems.push(format!("patch: expected none, got {got}")),
            (None, false) => problems.push(format!("patch: expected {expected}, got none")),
            (Some(got), false) if got != expected => {
                problems.push(format!("patch: expected {expected}, got {got}"));
            }
            (Some(_), false) => {}
        }
    }
    let warnings = response.warnings.clone().unwrap_or_default();
    for wanted in &expect.warnings {
        if !warnings.iter().any(|w| w.contains(wanted.as_str())) {
            problems.push(format!(
                "warnings: expected one containing {wanted:?}, got {warnings:?}"
            ));
        }
    }
    let annotations = response.audit_annotations.clone().unwrap_or_default();
    for (key, value) in &expect.audit_annotations {
        if annotations.get(key) != Some(value) {
            problems.push(format!(
                "auditAnnotations: expected {key}={value:?}, got {}",
                annotations
                    .get(key)
                    .map_or_else(|| "none".to_owned(), |v| format!("{v:?}"))
            ));
        }
    }
    result.response = Some(evaluation.response);
    result
}

fn check_message(problems: &mut Vec<String>, expect: &Expect, message: Option<&str>) {
    let text = message.unwrap_or("");
    let shown = message.map_or_else(|| "no message".to_owned(), |m| format!("{m:?}"));
    for wanted in expect.message.iter().chain(expect.messages.iter()) {
        if !text.contains(wanted.as_str()) {
            problems.push(format!(
                "message: expected to contain {wanted:?}, got {shown}"
            ));
        }
    }
    if let Some(unwanted) = &expect.not_message
        && text.contains(unwanted.as_str())
    {
        problems.push(format!(
            "notMessage: {unwanted:?} must not appear, got {shown}"
        ));
    }
}

fn describe_route(request: &Value) -> String {
    let field = |p: &str| request.pointer(p).and_then(Value::as_str).unwrap_or("");
    let group = field("/resource/group");
    let sub = field("/subResource");
    format!(
        "{} {}/{} {}{}",
        field("/operation"),
        if group.is_empty() { "core" } else { group },
        field("/resource/version"),
        field("/resource/resource"),
        if sub.is_empty() {
            String::new()
        } else {
            format!("/{sub}")
        }
    )
}

/// An error and its sources, joined with `: `.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

/// One policy of a workspace: `policies/<id>/cases.yaml` and its module `<dist>/<id>.wasm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySuite {
    /// The policy id (its directory name).
    pub id: String,
    /// Its `cases.yaml`.
    pub suite: PathBuf,
    /// Its annotated module (which may not exist yet).
    pub module: PathBuf,
}

/// Every `policies/<id>/cases.yaml` under `root`, sorted by id, restricted to `only` when it
/// is not empty.
///
/// # Errors
/// When `root/policies` cannot be listed or a policy of `only` has no suite.
pub fn discover(root: &Path, dist: &Path, only: &[String]) -> Result<Vec<PolicySuite>, SuiteError> {
    let dir = root.join("policies");
    let list_error = |source| SuiteError::List {
        path: dir.clone(),
        source,
    };
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(list_error)? {
        let entry = entry.map_err(list_error)?;
        let suite = entry.path().join("cases.yaml");
        if suite.is_file() {
            let id = entry.file_name().to_string_lossy().into_owned();
            found.push(PolicySuite {
                module: dist.join(format!("{id}.wasm")),
                id,
                suite,
            });
        }
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));
    for wanted in only {
        if !found.iter().any(|p| &p.id == wanted) {
            return Err(SuiteError::UnknownPolicy {
                id: wanted.clone(),
                dir,
            });
        }
    }
    if !only.is_empty() {
        found.retain(|p| only.contains(&p.id));
    }
    Ok(found)
}

/// What happened to one policy of a workspace run.
#[derive(Debug, Clone)]
pub enum PolicyOutcome {
    /// Its suite ran.
    Ran(SuiteReport),
    /// It could not run (missing or unloadable module, invalid suite, module policy-server
    /// would refuse); its cases, when known, count as failed.
    Error {
        /// Policy id.
        id: String,
        /// What went wrong.
        message: String,
        /// Number of cases that could not run.
        cases: usize,
    },
}

/// The outcome of [`run_workspace`].
#[derive(Debug, Clone, Default)]
pub struct WorkspaceReport {
    /// One outcome per policy, sorted by id.
    pub policies: Vec<PolicyOutcome>,
}

impl WorkspaceReport {
    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.policies
            .iter()
            .map(|p| match p {
                PolicyOutcome::Ran(report) => report.passed(),
                PolicyOutcome::Error { .. } => 0,
            })
            .sum()
    }

    /// Cases that failed, including those of policies that could not run.
    pub fn failed(&self) -> usize {
        self.policies
            .iter()
            .map(|p| match p {
                PolicyOutcome::Ran(report) => report.failed(),
                PolicyOutcome::Error { cases, .. } => *cases,
            })
            .sum()
    }

    /// Policies that could not run.
    pub fn errors(&self) -> usize {
        self.policies
            .iter()
            .filter(|p| matches!(p, PolicyOutcome::Error { .. }))
            .count()
    }

    /// `ERROR` lines for policies that could not run and `FAIL` lines (with details) for
    /// failed cases, in policy order, then the closing `N passed, N failed` line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for policy in &self.policies {
            match policy {
                PolicyOutcome::Ran(report) => out.push_str(&report.render_failures()),
                PolicyOutcome::Error { id, message, cases } => {
                    let _ = writeln!(
                        out,
                        "ERROR {id}: {message}; its {cases} cases count as failed"
                    );
                }
            }
        }
        let _ = writeln!(out, "{} passed, {} failed", self.passed(), self.failed());
        out
    }
}

/// Runs the suite of every policy of `policies` against its module.
pub fn run_workspace(
    harness: &Harness,
    policies: &[PolicySuite],
    allow_unannotated: bool,
) -> WorkspaceReport {
    let mut report = WorkspaceReport::default();
    for policy in policies {
        let error = |message: String, cases: usize| PolicyOutcome::Error {
            id: policy.id.clone(),
            message,
            cases,
        };
        let suite = match load_suite(&policy.suite) {
            Ok(suite) => suite,
            Err(e) => {
                report.policies.push(error(error_chain(&e), 0));
                continue;
            }
        };
        let cases = suite.cases.len();
        if !policy.module.is_file() {
            report.policies.push(error(
                format!(
                    "module {} is missing (build and annotate it first)",
                    policy.module.display()
                ),
                cases,
            ));
            continue;
        }
        let outcome = harness
            .load_module(&policy.module)
            .map_err(|e| error_chain(&e))
            .and_then(|module| {
                run_suite(
                    &module,
                    &suite,
                    &RunOptions {
                        policy_id: Some(policy.id.clone()),
                        allow_unannotated,
                    },
                )
                .map_err(|e| error_chain(&e))
            });
        report.policies.push(match outcome {
            Ok(ran) => PolicyOutcome::Ran(ran),
            Err(message) => error(message, cases),
        });
    }
    report
}
