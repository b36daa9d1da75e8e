//! The policies of a scan: modules of a bundle (a `dist/` directory, a list, or the entries of
//! a profile) loaded through the harness, checked as policy-server would, with their settings,
//! mode, controls and severity.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use host_test::engine::{Harness, LoadError};
use host_test::evaluate::{EvalError, EvalOptions, PolicyModule};
use host_test::request;
use host_test::response::PolicyMode;
use serde_json::{Map, Value};

use crate::profile::{Profile, ProfileError};

/// Metadata annotation listing the controls a policy implements.
pub const CONTROLS_ANNOTATION: &str = "io.aks-baseline-policies/controls";

/// Metadata annotation naming the objects (`apiVersion/Kind`, comma-separated) a policy judges
/// by that only a running cluster produces, never a repository (SBOMscanner's
/// VulnerabilityReports): a scan whose cluster holds none of them does not run the policy, and
/// says so, instead of reporting every object as unjudgeable.
pub const SCAN_NEEDS_ANNOTATION: &str = "io.aks-baseline-policies/scan-needs-objects";

/// Metadata annotation giving a policy's severity: `critical`, `high`, `medium` or `low`.
pub const SEVERITY_ANNOTATION: &str = "io.aks-baseline-policies/severity";

/// Why the policies of a scan could not be prepared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// The module directory could not be read.
    #[error("cannot read module directory {path}")]
    Dist {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// There is no module to run.
    #[error("no policy modules (*.wasm) in {0}")]
    NoModules(PathBuf),
    /// Two modules have the same policy id.
    #[error("two modules have the policy id '{0}'")]
    DuplicateId(String),
    /// A module could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A module cannot be run the way policy-server runs it.
    #[error(transparent)]
    NotRunnable(#[from] EvalError),
    /// A settings file could not be read or parsed.
    #[error("cannot use settings {path}: {message}")]
    SettingsFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The module failed instead of answering `validate_settings`.
    #[error("policy '{id}' failed to validate its settings: {message}")]
    ModuleFailed {
        /// The policy id.
        id: String,
        /// The failure.
        message: String,
    },
    /// The module refused its settings.
    #[error("Provided settings for policy '{id}' are not valid: {message}")]
    InvalidSettings {
        /// The policy id.
        id: String,
        /// The policy's message.
        message: String,
    },
    /// The module's severity annotation is not one of the four severities.
    #[error(
        "module '{id}' has an invalid {SEVERITY_ANNOTATION} annotation '{value}' (expected critical, high, medium or low)"
    )]
    InvalidSeverity {
        /// The policy id.
        id: String,
        /// The annotation's value.
        value: String,
    },
    /// A profile could not be read, or names a module the bundle does not have.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// A profile entry does not fit its module.
    #[error("profile '{profile}', policy '{id}': {message}")]
    ProfileEntry {
        /// The profile's name.
        profile: String,
        /// The policy id.
        id: String,
        /// What is wrong.
        message: String,
    },
}

/// How bad a violation of a policy is: the module metadata's [`SEVERITY_ANNOTATION`]
/// (`high` when absent). Ordered from `Low` to `Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// `low`.
    Low,
    /// `medium`.
    Medium,
    /// `high` (the default).
    #[default]
    High,
    /// `critical`.
    Critical,
}

impl Severity {
    /// Every severity, from the highest.
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str() == s)
            .ok_or_else(|| {
                format!("unknown severity '{s}' (expected critical, high, medium or low)")
            })
    }
}

/// A module ready to scan with: its id, settings, mode, controls and severity.
#[derive(Debug, Clone)]
pub struct ScanPolicy {
    /// Policy id (the module's file stem).
    pub id: String,
    /// The module.
    pub module: PolicyModule,
    /// Its settings (`{}` when none).
    pub settings: Value,
    /// The module metadata's [`CONTROLS_ANNOTATION`], when present.
    pub controls: Option<String>,
    /// The module metadata's [`SEVERITY_ANNOTATION`] (`high` when absent or invalid;
    /// [`load_policies`] refuses an invalid one).
    pub severity: Severity,
    /// `protect`, or `monitor`: its violations are reported but never fail the scan.
    pub mode: PolicyMode,
    /// Whether it may mutate (the module's metadata `mutating`, or a profile entry's).
    pub allowed_to_mutate: bool,
    /// Namespaces whose objects it is not sent, as its deployed `namespaceSelector` on
    /// `kubernetes.io/metadata.name` leaves them out (a profile's `excludedNamespaces`, unless
    /// the entry or the module includes the system namespaces; empty without a profile).
    pub excluded_namespaces: Vec<String>,
}

/// The severity annotation of `module`: `Ok(None)` when absent, `Err(value)` when invalid.
fn module_severity(module: &PolicyModule) -> Result<Option<Severity>, String> {
    match module
        .metadata()
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get(SEVERITY_ANNOTATION))
    {
        None => Ok(None),
        Some(value) => value.trim().parse().map(Some).map_err(|_| value.clone()),
    }
}

impl ScanPolicy {
    /// A protect-mode policy with `settings`, taking its controls, severity and
    /// `mutating` from the module's metadata.
    pub fn new(id: impl Into<String>, module: PolicyModule, settings: Value) -> Self {
        let controls = annotation(&module, CONTROLS_ANNOTATION).map(str::to_owned);
        let severity = module_severity(&module).ok().flatten().unwrap_or_default();
        let allowed_to_mutate = module.metadata().is_some_and(|m| m.mutating);
        ScanPolicy {
            id: id.into(),
            module,
            settings,
            controls,
            severity,
            mode: PolicyMode::Protect,
            allowed_to_mutate,
            excluded_namespaces: Vec::new(),
        }
    }

    /// Whether the cluster would send it `request`: its namespace, or for a Namespace the
    /// object's own name (a webhook's `namespaceSelector` is matched against the Namespace
    /// object itself), is not one of [`ScanPolicy::excluded_namespaces`]. Cluster-scoped
    /// objects are always sent.
    pub fn selects(&self, request: &Value) -> bool {
        if self.excluded_namespaces.is_empty() {
            return true;
        }
        match selector_namespace(request) {
            Some(namespace) => !self.excluded_namespaces.iter().any(|n| n == namespace),
            None => true,
        }
    }

    /// The (API group, kind) pairs of its [`SCAN_NEEDS_ANNOTATION`], with the annotation's
    /// `apiVersion/Kind` spellings.
    pub fn needs_objects(&self) -> Vec<(String, String, String)> {
        annotation(&self.module, SCAN_NEEDS_ANNOTATION)
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter_map(|item| {
                let (api_version, kind) = item.rsplit_once('/')?;
                Some((
                    admission::kinds::api_group(api_version).to_owned(),
                    kind.to_owned(),
                    item.to_owned(),
                ))
            })
            .collect()
    }

    /// The control ids of [`ScanPolicy::controls`], in annotation order.
    pub fn control_ids(&self) -> Vec<String> {
        split_controls(self.controls.as_deref())
    }
}

/// The namespace a webhook's `namespaceSelector` is matched against for `request`: the
/// request's namespace, or the name of a Namespace being created (core group).
pub fn selector_namespace(request: &Value) -> Option<&str> {
    let kind = request.pointer("/kind/kind").and_then(Value::as_str);
    let group = request.pointer("/kind/group").and_then(Value::as_str);
    if kind == Some("Namespace") && group.is_none_or(str::is_empty) {
        return request.get("name").and_then(Value::as_str);
    }
    request.get("namespace").and_then(Value::as_str)
}

/// The comma-separated control ids of a controls annotation.
pub fn split_controls(controls: Option<&str>) -> Vec<String> {
    controls
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An annotation of a module's metadata.
pub fn annotation<'a>(module: &'a PolicyModule, key: &str) -> Option<&'a str> {
    module
        .metadata()
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get(key))
        .map(String::as_str)
}

/// The `*.wasm` files of `dist` (not recursive), sorted.
///
/// # Errors
/// When the directory cannot be read or holds no module.
pub fn dist_modules(dist: &Path) -> Result<Vec<PathBuf>, ScanError> {
    let entries = std::fs::read_dir(dist).map_err(|source| ScanError::Dist {
        path: dist.to_owned(),
        source,
    })?;
    let mut modules: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "wasm") && path.is_file())
        .collect();
    modules.sort();
    if modules.is_empty() {
        return Err(ScanError::NoModules(dist.to_owned()));
    }
    Ok(modules)
}

/// The settings of policy `id`: `DIR/<id>.yaml`, `.yml` or `.json` (at most one of them),
/// `{}` when there is none or no directory.
///
/// # Errors
/// When a file cannot be read or parsed, or more than one exists.
pub fn read_settings(settings_dir: Option<&Path>, id: &str) -> Result<Value, ScanError> {
    let Some(dir) = settings_dir else {
        return Ok(Value::Object(Map::new()));
    };
    let found: Vec<PathBuf> = ["yaml", "yml", "json"]
        .iter()
        .map(|ext| dir.join(format!("{id}.{ext}")))
        .filter(|path| path.is_file())
        .collect();
    let path = match found.as_slice() {
        [] => return Ok(Value::Object(Map::new())),
        [path] => path,
        [first, ..] => {
            return Err(ScanError::SettingsFile {
                path: first.clone(),
                message: format!("more than one settings file for policy '{id}'"),
            });
        }
    };
    let file_error = |message: String| ScanError::SettingsFile {
        path: path.clone(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
    let value = request::parse_document(&text).map_err(|e| file_error(e.to_string()))?;
    match value {
        Value::Null => Ok(Value::Object(Map::new())),
        Value::Object(_) => Ok(value),
        _ => Err(file_error("settings must be a mapping".to_owned())),
    }
}

/// Loads every module once (through the harness' compiled-module cache), checks that
/// policy-server would run it, reads its settings from `settings_dir` and validates them.
/// The policy id is the module's file stem; policies are sorted by id and run in protect
/// mode.
///
/// # Errors
/// When a module does not load or would be refused, two modules share an id, its severity
/// annotation is invalid, or settings are unreadable or invalid.
pub fn load_policies(
    harness: &Harness,
    modules: &[PathBuf],
    settings_dir: Option<&Path>,
) -> Result<Vec<ScanPolicy>, ScanError> {
    let mut policies: Vec<ScanPolicy> = Vec::new();
    for path in modules {
        let module = harness.load_module(path)?;
        let id = module.name().to_owned();
        if policies.iter().any(|p| p.id == id) {
            return Err(ScanError::DuplicateId(id));
        }
        let settings = read_settings(settings_dir, &id)?;
        policies.push(prepare(id, module, settings)?);
    }
    policies.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(policies)
}

/// A module that could not be used, with the reason.
pub type BrokenModule = (PathBuf, ScanError);

/// Like [`load_policies`], but a module that cannot be used — it does not load, policy-server
/// would refuse it, or it fails (traps, loops, answers garbage) instead of answering
/// `validate_settings` — is set aside with its error and the others are still loaded, so a
/// scan continues past a hostile module. Settings a working module refuses, unreadable
/// settings files, invalid severities and duplicate ids still stop the scan.
///
/// # Errors
/// As [`load_policies`], except for the module failures returned beside the policies.
pub fn load_policies_continuing(
    harness: &Harness,
    modules: &[PathBuf],
    settings_dir: Option<&Path>,
) -> Result<(Vec<ScanPolicy>, Vec<BrokenModule>), ScanError> {
    let mut policies: Vec<ScanPolicy> = Vec::new();
    let mut broken = Vec::new();
    for path in modules {
        let module = match harness.load_module(path) {
            Ok(module) => module,
            Err(e) => {
                broken.push((path.clone(), ScanError::Load(e)));
                continue;
            }
        };
        if let Err(e) = module.check_runnable() {
            broken.push((path.clone(), ScanError::NotRunnable(e)));
            continue;
        }
        let id = module.name().to_owned();
        if policies.iter().any(|p| p.id == id) {
            return Err(ScanError::DuplicateId(id));
        }
        let settings = read_settings(settings_dir, &id)?;
        let options = EvalOptions {
            policy_id: Some(id.clone()),
            ..EvalOptions::default()
        };
        let outcome = match module.validate_settings_with(&settings, &options) {
            Ok(outcome) => outcome,
            Err(e) => {
                broken.push((path.clone(), ScanError::NotRunnable(e)));
                continue;
            }
        };
        // A failure, or an answer that is not a SettingsValidationResponse at all.
        let garbage = outcome
            .message
            .as_deref()
            .filter(|m| m.starts_with("error: InvalidResponseWithError("));
        if let Some(message) = outcome
            .failure
            .as_ref()
            .map(ToString::to_string)
            .or(garbage.map(str::to_owned))
        {
            broken.push((path.clone(), ScanError::ModuleFailed { id, message }));
            continue;
        }
        policies.push(prepare(id, module, settings)?);
    }
    policies.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((policies, broken))
}

/// Loads the modules a profile names, `DIST/<id>.wasm`, with the profile's settings, mode
/// and `mutating`, in the profile's order.
///
/// # Errors
/// When a module is missing, does not load or would be refused, its severity annotation is
/// invalid, an entry sets `mutating: true` for a module that does not mutate, or the module
/// refuses the entry's settings.
pub fn load_profile(
    harness: &Harness,
    dist: &Path,
    profile: &Profile,
) -> Result<Vec<ScanPolicy>, ScanError> {
    load_profile_with(harness, dist, profile, None)
}

/// [`load_profile`], compiling the modules in parallel (one thread per core) and calling
/// `progress` with (modules loaded, modules in all) as each is ready: the first scan of a
/// bundle compiles every module (tens of seconds), later ones read the compiled-module cache.
///
/// # Errors
/// As [`load_profile`]; the first problem in profile order is returned.
pub fn load_profile_with(
    harness: &Harness,
    dist: &Path,
    profile: &Profile,
    progress: Option<&crate::scan::ProgressSink>,
) -> Result<Vec<ScanPolicy>, ScanError> {
    let load = |entry: &crate::profile::ProfileEntry| -> Result<ScanPolicy, ScanError> {
        let entry_error = |message: String| ScanError::ProfileEntry {
            profile: profile.name.clone(),
            id: entry.id.clone(),
            message,
        };
        let path = dist.join(format!("{}.wasm", entry.id));
        if !path.is_file() {
            return Err(entry_error(format!(
                "no module {} (build it, or remove the entry)",
                path.display()
            )));
        }
        let module = harness.load_module(&path)?;
        let mut policy = prepare(entry.id.clone(), module, entry.settings.clone())?;
        if entry.mutating && !policy.allowed_to_mutate {
            return Err(entry_error(
                "sets mutating: true, but the module's metadata says it does not mutate".to_owned(),
            ));
        }
        policy.allowed_to_mutate = entry.mutating;
        policy.mode = entry.mode;
        let includes_system = entry.include_system_namespaces.unwrap_or_else(|| {
            annotation(
                &policy.module,
                bundle_tool::policy::SYSTEM_NAMESPACES_ANNOTATION,
            )
            .is_some_and(bundle_tool::policy::includes_system_namespaces)
        });
        if !includes_system {
            policy.excluded_namespaces = profile.excluded_namespaces.clone();
        }
        Ok(policy)
    };
    let total = profile.policies.len();
    let done = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    crate::parallel::map_in_order(&profile.policies, threads, load, || {
        let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(progress) = progress {
            (progress.0)(finished, total);
        }
    })
    .into_iter()
    .collect()
}

/// Checks that `module` is runnable and its severity valid, and validates `settings`.
fn prepare(id: String, module: PolicyModule, settings: Value) -> Result<ScanPolicy, ScanError> {
    module.check_runnable()?;
    if let Err(value) = module_severity(&module) {
        return Err(ScanError::InvalidSeverity { id, value });
    }
    let options = EvalOptions {
        policy_id: Some(id.clone()),
        ..EvalOptions::default()
    };
    let outcome = module.validate_settings_with(&settings, &options)?;
    if !outcome.valid {
        return Err(ScanError::InvalidSettings {
            id,
            message: outcome.message.unwrap_or_default(),
        });
    }
    Ok(ScanPolicy::new(id, module, settings))
}
