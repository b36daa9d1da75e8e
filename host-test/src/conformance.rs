//! `host-test conformance`: every case of every suite (`policies/<id>/cases.yaml` and
//! `tests/evasion/<id>/cases.yaml`) through Kubewarden's own runners, compared with host-test.
//!
//! - **kwctl**: `kwctl run` per case. kwctl always evaluates in protect mode with mutation
//!   allowed and grants the module metadata's `contextAwareResources`
//!   (`--allow-context-aware`), so its answers are compared with host-test under that same
//!   configuration. A case whose evaluation makes host calls is run with
//!   `--replay-host-capabilities-interactions` and a session written by [`crate::replay`]
//!   from host-test's calls and the fixture's answers: a request our module sends that
//!   policy-evaluator reads differently makes the replay fail and the verdicts differ.
//! - **policy-server**: ONE server holding one policy per (module, settings, mode, mutation,
//!   host capabilities, context-aware resources) combination the cases use, each case posted
//!   as an AdmissionReview to `/validate/<id>`. It runs without a cluster, so a case whose
//!   evaluation makes Kubernetes lookups is compared with host-test's `lookups: fail` answer
//!   (what users of a policy-server without a cluster get). Cases whose evaluation reaches an
//!   OCI registry are not posted: policy-server would contact the registry named in the case.
//!
//! Compared: `allowed`, `status.code`, `status.message`, the decoded patch, the warnings and
//! the audit annotations; for invalid settings, the settings message as each runner prints it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use admission::{ClusterFixture, RequestDefaults, admission_request};
use base64::Engine as _;
use serde_json::{Value, json};

use crate::callbacks::ContextAwareResource;
use crate::engine::Harness;
use crate::evaluate::{EvalOptions, PolicyModule};
use crate::replay::{self, Exchange};
use crate::response::PolicyMode;
use crate::state::HostCallRecord;
use crate::suite::{self, Case, FixtureCache, Lookups, Suite, error_chain};

/// Where to find everything.
#[derive(Debug, Clone)]
pub struct Config {
    /// Repository root (holds `policies/` and `tests/evasion/`).
    pub root: PathBuf,
    /// Annotated modules.
    pub dist: PathBuf,
    /// kwctl, when it is to be run.
    pub kwctl: Option<PathBuf>,
    /// policy-server, when it is to be run.
    pub policy_server: Option<PathBuf>,
    /// Sigstore trust configuration handed to both (keeps them off the network).
    pub sigstore_trust_config: Option<PathBuf>,
    /// Scratch directory (request files, sessions, policies.yml, logs).
    pub work: PathBuf,
    /// Only these policy ids (empty: all).
    pub only: Vec<String>,
    /// Parallel kwctl runs and policy-server workers.
    pub jobs: usize,
    /// policy-server's port (its readiness port is the next one).
    pub port: u16,
}

/// One suite of the repository.
#[derive(Debug, Clone)]
pub struct SuiteRef {
    /// `policies/<id>` or `tests/evasion/<id>`.
    pub label: String,
    /// The policy id.
    pub policy: String,
    /// Its cases.yaml.
    pub path: PathBuf,
}

/// Every suite of the repository, restricted to `only` when not empty: the policies' own
/// suites, then the evasion suites.
///
/// # Errors
/// When a directory cannot be listed.
pub fn suites(root: &Path, only: &[String]) -> std::io::Result<Vec<SuiteRef>> {
    let mut found = Vec::new();
    for (dir, label) in [
        (root.join("policies"), "policies"),
        (root.join("tests").join("evasion"), "tests/evasion"),
    ] {
        let mut ids: Vec<String> = std::fs::read_dir(&dir)?
            .filter_map(Result::ok)
            .filter(|e| e.path().join("cases.yaml").is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        ids.sort();
        for id in ids {
            if only.is_empty() || only.contains(&id) {
                found.push(SuiteRef {
                    label: format!("{label}/{id}"),
                    path: dir.join(&id).join("cases.yaml"),
                    policy: id,
                });
            }
        }
    }
    Ok(found)
}

/// What a runner answered for one case, in the fields compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `validate_settings` refused the settings with this message.
    SettingsInvalid(String),
    /// The processed AdmissionResponse.
    Verdict(Verdict),
}

/// The compared fields of an AdmissionResponse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// `allowed`.
    pub allowed: bool,
    /// `status.code`.
    pub code: Option<u64>,
    /// `status.message`.
    pub message: Option<String>,
    /// The decoded JSON patch.
    pub patch: Option<Value>,
    /// Warnings (absent and empty are the same).
    pub warnings: Vec<String>,
    /// Audit annotations (absent and empty are the same).
    pub audit_annotations: BTreeMap<String, String>,
}

impl Verdict {
    /// Reads the compared fields of an AdmissionResponse (JSON).
    ///
    /// # Errors
    /// When the patch is not base64 JSON.
    pub fn from_response(response: &Value) -> Result<Self, String> {
        let patch = match response.get("patch").and_then(Value::as_str) {
            Some(encoded) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .map_err(|e| format!("patch is not base64: {e}"))?;
                Some(
                    serde_json::from_slice(&bytes)
                        .map_err(|e| format!("patch is not JSON: {e}"))?,
                )
            }
            None => None,
        };
        Ok(Verdict {
            allowed: response.get("allowed").and_then(Value::as_bool) == Some(true),
            code: response.pointer("/status/code").and_then(Value::as_u64),
            message: response
                .pointer("/status/message")
                .and_then(Value::as_str)
                .map(str::to_owned),
            patch,
            warnings: response
                .get("warnings")
                .and_then(Value::as_array)
                .map(|w| {
                    w.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            audit_annotations: response
                .get("auditAnnotations")
                .and_then(Value::as_object)
                .map(|a| {
                    a.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

/// The fields where two outcomes differ, one line each.
pub fn differences(expected: &Outcome, got: &Outcome) -> Vec<String> {
    match (expected, got) {
        (Outcome::SettingsInvalid(a), Outcome::SettingsInvalid(b)) if a == b => Vec::new(),
        (Outcome::SettingsInvalid(a), Outcome::SettingsInvalid(b)) => {
            vec![format!("settings message: host-test {a:?}, runner {b:?}")]
        }
        (Outcome::Verdict(a), Outcome::Verdict(b)) => {
            let mut out = Vec::new();
            let mut field = |name: &str, x: String, y: String| {
                if x != y {
                    out.push(format!("{name}: host-test {x}, runner {y}"));
                }
            };
            field("allowed", a.allowed.to_string(), b.allowed.to_string());
            field("code", format!("{:?}", a.code), format!("{:?}", b.code));
            field(
                "message",
                format!("{:?}", a.message),
                format!("{:?}", b.message),
            );
            field(
                "patch",
                a.patch.as_ref().map_or("none".into(), Value::to_string),
                b.patch.as_ref().map_or("none".into(), Value::to_string),
            );
            field(
                "warnings",
                format!("{:?}", a.warnings),
                format!("{:?}", b.warnings),
            );
            field(
                "auditAnnotations",
                format!("{:?}", a.audit_annotations),
                format!("{:?}", b.audit_annotations),
            );
            out
        }
        (a, b) => vec![format!("outcome: host-test {a:?}, runner {b:?}")],
    }
}

/// A request for cases that have none (invalid settings): kwctl needs one to start, and
/// policy-server answers any request to a policy whose settings were refused.
fn probe_request() -> Value {
    let pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "registry.example/app:1.0"}]}
    });
    let defaults = RequestDefaults {
        username: "conformance".to_owned(),
        groups: vec!["system:authenticated".to_owned()],
        uid_prefix: "conformance-settings-probe".to_owned(),
        ..RequestDefaults::default()
    };
    admission_request(&pod, 1, &defaults, &ClusterFixture::empty())
}

/// Whether kwctl lets a module mutate: `kwctl run` has no switch for it and applies the
/// policy's patch (measured with kwctl 1.36.0-beta.1).
pub const KWCTL_ALLOWS_MUTATION: bool = true;

/// One case, evaluated by host-test under each runner's configuration.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// `policies/<id>` or `tests/evasion/<id>`.
    pub label: String,
    /// Policy id.
    pub policy: String,
    /// Case name.
    pub case: String,
    /// The annotated module.
    pub module: PathBuf,
    /// The settings object.
    pub settings: Value,
    /// The request as policy-server receives it (`None`: the case has none).
    pub request: Option<Value>,
    /// Policy mode of the case.
    pub mode: PolicyMode,
    /// `allowedToMutate` of the case.
    pub allowed_to_mutate: bool,
    /// Host capabilities of the case.
    pub host_capabilities: Vec<String>,
    /// Context-aware resources granted (the case's or the metadata's).
    pub context_aware_resources: Vec<ContextAwareResource>,
    /// Whether the module's metadata declares context-aware resources.
    pub module_context_aware: bool,
    /// Why the case is compared with no runner at all.
    pub skip: Option<String>,
    /// host-test under kwctl's configuration, and the session kwctl replays.
    pub kwctl: Option<(Outcome, Vec<Exchange>)>,
    /// host-test under the case's configuration without a cluster (policy-server's), or why
    /// the case is not posted to policy-server.
    pub policy_server: Result<Outcome, String>,
}

fn outcome_of(
    module: &PolicyModule,
    request: Option<&Value>,
    settings: &Value,
    options: &EvalOptions,
) -> Result<(Outcome, Vec<HostCallRecord>), String> {
    let checked = module
        .validate_settings_with(settings, options)
        .map_err(|e| error_chain(&e))?;
    if !checked.valid {
        return Ok((
            Outcome::SettingsInvalid(checked.message.unwrap_or_default()),
            Vec::new(),
        ));
    }
    let request = request.ok_or("valid settings but no request")?;
    let evaluation = module
        .validate_with(request, settings, options)
        .map_err(|e| error_chain(&e))?;
    let response: Value =
        serde_json::from_str(&evaluation.response.to_json()).map_err(|e| e.to_string())?;
    Ok((
        Outcome::Verdict(Verdict::from_response(&response)?),
        evaluation.host_calls,
    ))
}

/// The session of recorded host calls under `options` (see [`crate::replay::session`]).
///
/// # Errors
/// When a payload was cut by the harness's record limit or cannot be read as
/// policy-evaluator reads it.
pub fn session_of(
    module: &PolicyModule,
    options: &EvalOptions,
    calls: &[HostCallRecord],
) -> Result<Vec<Exchange>, String> {
    let context = module.host_context(options);
    let mut raw = Vec::new();
    for call in calls {
        if call.payload.ends_with(" bytes in all)") {
            return Err(format!(
                "the payload of {}/{} is too long to record",
                call.namespace, call.operation
            ));
        }
        raw.push((
            call.namespace.as_str(),
            call.operation.as_str(),
            call.payload.as_bytes(),
        ));
    }
    replay::session(&context, &raw)
}

/// Evaluates every case of `suite_ref` with host-test under each runner's configuration.
///
/// # Errors
/// When the suite or module cannot be loaded.
pub fn prepare_suite(
    harness: &Harness,
    dist: &Path,
    suite_ref: &SuiteRef,
) -> Result<Vec<Prepared>, String> {
    let suite = suite::load_suite(&suite_ref.path).map_err(|e| error_chain(&e))?;
    let module_path = dist.join(format!("{}.wasm", suite_ref.policy));
    let module = harness
        .load_module(&module_path)
        .map_err(|e| error_chain(&e))?;
    let metadata_resources: Vec<ContextAwareResource> = module
        .metadata()
        .map(|m| m.context_aware_resources.clone())
        .unwrap_or_default();
    let mut fixtures = FixtureCache::new();
    Ok(suite
        .cases
        .iter()
        .map(|case| {
            prepare_case(
                &module,
                &module_path,
                &suite,
                suite_ref,
                case,
                &metadata_resources,
                &mut fixtures,
            )
        })
        .collect())
}

fn prepare_case(
    module: &PolicyModule,
    module_path: &Path,
    suite: &Suite,
    suite_ref: &SuiteRef,
    case: &Case,
    metadata_resources: &[ContextAwareResource],
    fixtures: &mut FixtureCache,
) -> Prepared {
    let mut prepared = Prepared {
        label: suite_ref.label.clone(),
        policy: suite_ref.policy.clone(),
        case: case.name.clone(),
        module: module_path.to_owned(),
        settings: Value::Null,
        request: None,
        mode: PolicyMode::Protect,
        allowed_to_mutate: false,
        host_capabilities: vec!["*".to_owned()],
        context_aware_resources: metadata_resources.to_vec(),
        module_context_aware: !metadata_resources.is_empty(),
        skip: None,
        kwctl: None,
        policy_server: Err(String::new()),
    };
    let resolved = match suite::resolve_case(suite, case, &suite_ref.policy, fixtures) {
        Ok(r) => r,
        Err(e) => {
            prepared.skip = Some(format!("host-test cannot set the case up: {e}"));
            return prepared;
        }
    };
    let options = resolved.options;
    prepared.settings = resolved.settings.clone();
    prepared.mode = options.mode;
    prepared.allowed_to_mutate = options.allowed_to_mutate;
    prepared.host_capabilities = options.host_capabilities.clone();
    if let Some(list) = &options.context_aware_resources {
        prepared.context_aware_resources = list.clone();
    }
    if let Some(path) = &case.request {
        match crate::request::load_request(suite.dir().join(path)) {
            Ok(request) => prepared.request = Some(request),
            Err(e) => {
                prepared.skip = Some(format!("request cannot be read: {}", error_chain(&e)));
                return prepared;
            }
        }
    }
    let settings_only = case.expect.settings_valid == Some(false);
    if !settings_only {
        let routed = match (module.metadata(), &prepared.request) {
            (Some(m), Some(r)) => m.routes_request(r),
            _ => true,
        };
        if !routed && case.expect.allowed.is_none() {
            prepared.skip = Some(
                "routing only (the API server would never send the request; no runner evaluates it)"
                    .to_owned(),
            );
            return prepared;
        }
    }
    let request = prepared
        .request
        .clone()
        .or_else(|| settings_only.then(probe_request));

    // kwctl: protect mode, mutation allowed, the metadata's context-aware resources.
    let kwctl_options = EvalOptions {
        mode: PolicyMode::Protect,
        allowed_to_mutate: KWCTL_ALLOWS_MUTATION,
        context_aware_resources: None,
        ..options.clone()
    };
    prepared.kwctl = Some(
        match outcome_of(module, request.as_ref(), &resolved.settings, &kwctl_options).and_then(
            |(outcome, calls)| session_of(module, &kwctl_options, &calls).map(|s| (outcome, s)),
        ) {
            Ok(x) => x,
            Err(e) => {
                prepared.skip = Some(format!("host-test cannot evaluate the case: {e}"));
                return prepared;
            }
        },
    );

    // policy-server: the case's configuration, without a cluster.
    prepared.policy_server = (|| {
        let (outcome, calls) = outcome_of(module, request.as_ref(), &resolved.settings, &options)?;
        let session = session_of(module, &options, &calls)?;
        if session
            .iter()
            .any(|e| !e.request.starts_with("!Kubernetes"))
        {
            return Err(
                "the evaluation asks an OCI registry (policy-server would contact it); compared through kwctl's replay"
                    .to_owned(),
            );
        }
        if session.is_empty() || resolved.lookups == Lookups::Fail {
            return Ok(outcome);
        }
        let no_cluster = EvalOptions {
            cluster: Some(std::sync::Arc::new(crate::callbacks::without_cluster(
                options.cluster.as_deref(),
            ))),
            ..options.clone()
        };
        outcome_of(module, request.as_ref(), &resolved.settings, &no_cluster).map(|(o, _)| o)
    })();
    prepared
}

/// How one runner did on one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Same answer as host-test.
    Agree,
    /// A different answer: the differing fields.
    Differ(Vec<String>),
    /// Not run, and why.
    NotRun(String),
    /// The runner failed (no answer at all).
    Error(String),
}

/// A case's result through both runners.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    /// The prepared case.
    pub prepared: Prepared,
    /// kwctl.
    pub kwctl: Status,
    /// Whether kwctl replayed a session.
    pub replayed: bool,
    /// policy-server.
    pub policy_server: Status,
}

fn file_uri(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    format!("file://{}", absolute.display())
}

/// The request wrapped as the AdmissionReview the runners read.
fn review(request: &Value) -> Value {
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request})
}

fn settings_object(settings: &Value) -> Value {
    if settings.is_null() {
        json!({})
    } else {
        settings.clone()
    }
}

/// The `kwctl` message for refused settings.
const KWCTL_SETTINGS_PREFIX: &str = "Provided settings are not valid: ";

fn run_kwctl(config: &Config, kwctl: &Path, index: usize, p: &Prepared) -> (Status, bool) {
    let Some((expected, session)) = &p.kwctl else {
        return (Status::NotRun(p.skip.clone().unwrap_or_default()), false);
    };
    let dir = config.work.join("kwctl").join(index.to_string());
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return (
            Status::Error(format!("cannot create {}: {e}", dir.display())),
            false,
        );
    }
    let request = p.request.clone().unwrap_or_else(probe_request);
    let request_path = dir.join("request.json");
    let settings_path = dir.join("settings.json");
    let written = std::fs::write(&request_path, review(&request).to_string())
        .and_then(|()| std::fs::write(&settings_path, settings_object(&p.settings).to_string()));
    if let Err(e) = written {
        return (
            Status::Error(format!("cannot write the case files: {e}")),
            false,
        );
    }
    let mut command = Command::new(kwctl);
    command
        .env_remove("RUST_BACKTRACE")
        .env("NO_COLOR", "1")
        .arg("run")
        // One flag with every value (kwctl refuses the flag twice); the next option ends
        // the list.
        .arg("--allowed-host-capabilities")
        .args(&p.host_capabilities)
        .arg("--request-path")
        .arg(&request_path)
        .arg("--settings-path")
        .arg(&settings_path);
    if let Some(trust) = &config.sigstore_trust_config {
        command.arg("--sigstore-trust-config").arg(trust);
    }
    if p.module_context_aware {
        command.arg("--allow-context-aware");
    }
    // kwctl with --allow-context-aware and no session connects to the cluster of the
    // kubeconfig: a context-aware module always gets a session (maybe empty).
    let replayed = !session.is_empty() || p.module_context_aware;
    if replayed {
        let session_path = dir.join("session.yml");
        if let Err(e) = std::fs::write(&session_path, replay::to_yaml(session)) {
            return (
                Status::Error(format!("cannot write the session: {e}")),
                false,
            );
        }
        command
            .arg("--replay-host-capabilities-interactions")
            .arg(&session_path);
    }
    command.arg(file_uri(&p.module));
    let output = match command.stdin(Stdio::null()).output() {
        Ok(o) => o,
        Err(e) => return (Status::Error(format!("cannot run kwctl: {e}")), replayed),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let got = if output.status.success() {
        let line = stdout
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with('{'));
        match line.map(serde_json::from_str::<Value>) {
            Some(Ok(response)) => match Verdict::from_response(&response) {
                Ok(v) => Outcome::Verdict(v),
                Err(e) => return (Status::Error(e), replayed),
            },
            _ => {
                return (
                    Status::Error(format!("no AdmissionResponse on stdout: {stdout}")),
                    replayed,
                );
            }
        }
    } else if let Some(at) = stderr.find(KWCTL_SETTINGS_PREFIX) {
        let message = stderr[at + KWCTL_SETTINGS_PREFIX.len()..].trim_end();
        Outcome::SettingsInvalid(message.to_owned())
    } else {
        return (
            Status::Error(format!(
                "kwctl exited with {}: {}",
                output.status,
                stderr.lines().last().unwrap_or("")
            )),
            replayed,
        );
    };
    let diff = differences(expected, &got);
    (
        if diff.is_empty() {
            Status::Agree
        } else {
            Status::Differ(diff)
        },
        replayed,
    )
}

/// The policy-server configuration of a case (one policy per distinct value).
fn server_policy(p: &Prepared) -> Value {
    let mut policy = json!({
        "module": file_uri(&p.module),
        "policyMode": match p.mode { PolicyMode::Monitor => "monitor", PolicyMode::Protect => "protect" },
        "allowedToMutate": p.allowed_to_mutate,
        "settings": settings_object(&p.settings),
        "hostCapabilities": p.host_capabilities,
    });
    if !p.context_aware_resources.is_empty() {
        policy["contextAwareResources"] =
            serde_json::to_value(&p.context_aware_resources).unwrap_or(Value::Null);
    }
    policy
}

/// The message policy-server answers a policy whose settings it refused with (it runs with
/// `KUBEWARDEN_CONTINUE_ON_ERRORS` so that one refused policy does not stop the others).
const SERVER_SETTINGS_PREFIX: &str = "Policy settings are invalid: ";

/// A running policy-server, stopped (killed and reaped) when dropped.
pub struct Server {
    child: std::process::Child,
    /// From spawning the process to the first 200 of its readiness probe.
    pub ready_after: Duration,
}

impl Server {
    /// The process id (for reading its resident set size from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request to 127.0.0.1:`port`; the status and the (de-chunked) body.
///
/// # Errors
/// When the connection or the read fails or the answer is not HTTP.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    body: &str,
    timeout: Duration,
) -> Result<(u16, String), String> {
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text.split_once("\r\n\r\n").ok_or("no HTTP header")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no HTTP status")?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Ok((status, body))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

fn start_server(
    config: &Config,
    binary: &Path,
    policies: &BTreeMap<String, Value>,
) -> Result<Server, String> {
    start_policy_server(&ServerOptions {
        binary,
        dir: &config.work.join("policy-server"),
        port: config.port,
        workers: config.jobs.max(1),
        sigstore_trust_config: config.sigstore_trust_config.as_deref(),
        policies,
    })
}

/// How to start a policy-server without a cluster, on 127.0.0.1.
pub struct ServerOptions<'a> {
    /// The policy-server binary.
    pub binary: &'a Path,
    /// Work directory: `policies.yml`, `policy-server.log`, download and sigstore caches.
    pub dir: &'a Path,
    /// Port of `/validate`; the readiness probe listens on the next one.
    pub port: u16,
    /// `--workers`.
    pub workers: usize,
    /// `--sigstore-trust-config`, so that it does not reach the Sigstore services.
    pub sigstore_trust_config: Option<&'a Path>,
    /// `policies.yml`: policy (or policy group) id to its configuration.
    pub policies: &'a BTreeMap<String, Value>,
}

/// Starts policy-server with `options` and waits (up to 900 s) until its readiness probe
/// answers 200. Policies whose settings it refuses are reported per request
/// (`KUBEWARDEN_CONTINUE_ON_ERRORS`) instead of stopping the server.
///
/// # Errors
/// When the work directory cannot be written, the process cannot start, or it exits or
/// stays unready.
pub fn start_policy_server(options: &ServerOptions<'_>) -> Result<Server, String> {
    let dir = options.dir;
    std::fs::create_dir_all(dir.join("downloads")).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir.join("sigstore")).map_err(|e| e.to_string())?;
    let file = dir.join("policies.yml");
    std::fs::write(
        &file,
        serde_yaml::to_string(options.policies).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let log = std::fs::File::create(dir.join("policy-server.log")).map_err(|e| e.to_string())?;
    let mut command = Command::new(options.binary);
    command
        .env_remove("RUST_BACKTRACE")
        .env("KUBEWARDEN_CONTINUE_ON_ERRORS", "true")
        // policy-server reads NO_COLOR as its --log-no-color flag, which wants true/false.
        .env_remove("NO_COLOR")
        .arg("--policies")
        .arg(&file)
        .args(["--addr", "127.0.0.1", "--port"])
        .arg(options.port.to_string())
        .arg("--readiness-probe-port")
        .arg((options.port + 1).to_string())
        .arg("--workers")
        .arg(options.workers.max(1).to_string())
        .args([
            "--policy-timeout",
            "2",
            "--ignore-kubernetes-connection-failure",
        ])
        .arg("--sigstore-cache-dir")
        .arg(dir.join("sigstore"))
        .arg("--policies-download-dir")
        .arg(dir.join("downloads"));
    if let Some(trust) = options.sigstore_trust_config {
        command.arg("--sigstore-trust-config").arg(trust);
    }
    let started = Instant::now();
    let child = command
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start policy-server: {e}"))?;
    let mut server = Server {
        child,
        ready_after: Duration::ZERO,
    };
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            return Err(format!(
                "policy-server exited with {status} before it was ready (see {})",
                dir.join("policy-server.log").display()
            ));
        }
        if let Ok((200, _)) = http(
            options.port + 1,
            "GET",
            "/readiness",
            "",
            Duration::from_secs(2),
        ) {
            server.ready_after = started.elapsed();
            return Ok(server);
        }
        if started.elapsed() > Duration::from_secs(900) {
            return Err("policy-server was not ready after 900 s".to_owned());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn post_case(port: u16, policy_id: &str, p: &Prepared) -> Status {
    let expected = match &p.policy_server {
        Ok(o) => o,
        Err(reason) => return Status::NotRun(reason.clone()),
    };
    let request = p.request.clone().unwrap_or_else(probe_request);
    let body = review(&request).to_string();
    let (status, text) = match http(
        port,
        "POST",
        &format!("/validate/{policy_id}"),
        &body,
        Duration::from_secs(30),
    ) {
        Ok(x) => x,
        Err(e) => return Status::Error(format!("POST failed: {e}")),
    };
    let response = match serde_json::from_str::<Value>(&text) {
        Ok(v) => v.get("response").cloned().unwrap_or(Value::Null),
        Err(_) => return Status::Error(format!("HTTP {status}: {}", text.trim())),
    };
    let mut verdict = match Verdict::from_response(&response) {
        Ok(v) => v,
        Err(e) => return Status::Error(e),
    };
    // Each (settings, mode, ...) combination is its own policy of the one server, so its id
    // is `<module>-<n>`; policy-server names it where host-test names the module (the
    // not-allowed-to-mutate rejection).
    if let Some(message) = &mut verdict.message {
        *message = message.replace(
            &format!("policy {policy_id}."),
            &format!("policy {}.", p.policy),
        );
    }
    let refused = verdict
        .message
        .as_deref()
        .filter(|_| !verdict.allowed && matches!(expected, Outcome::SettingsInvalid(_)))
        .and_then(|m| m.strip_prefix(SERVER_SETTINGS_PREFIX))
        .map(str::to_owned);
    let got = match refused {
        Some(message) => Outcome::SettingsInvalid(message),
        None => Outcome::Verdict(verdict),
    };
    let diff = differences(expected, &got);
    if diff.is_empty() {
        Status::Agree
    } else {
        Status::Differ(diff)
    }
}

/// Runs `work` over `items` on `jobs` threads, keeping the order.
fn parallel<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    work: impl Fn(usize, &T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(item) = items.get(i) else { break };
                    let r = work(i, item);
                    if let Ok(mut all) = results.lock() {
                        all[i] = Some(r);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

/// Runs every case through host-test and the configured runners.
///
/// # Errors
/// When the suites cannot be listed or policy-server cannot start.
pub fn run(
    config: &Config,
    harness: &Harness,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Vec<CaseOutcome>, String> {
    let mut prepared = Vec::new();
    for suite_ref in suites(&config.root, &config.only).map_err(|e| e.to_string())? {
        let cases = prepare_suite(harness, &config.dist, &suite_ref)
            .map_err(|e| format!("{}: {e}", suite_ref.label))?;
        prepared.extend(cases);
    }
    progress(&format!("host-test evaluated {} cases", prepared.len()));

    let kwctl: Vec<(Status, bool)> = match &config.kwctl {
        Some(kwctl) => {
            let started = Instant::now();
            let done = AtomicUsize::new(0);
            let r = parallel(&prepared, config.jobs, |i, p| {
                let r = run_kwctl(config, kwctl, i, p);
                let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                if n.is_multiple_of(250) {
                    progress(&format!("kwctl: {n}/{} cases", prepared.len()));
                }
                r
            });
            progress(&format!(
                "kwctl: {} cases in {:.0?}",
                prepared.len(),
                started.elapsed()
            ));
            r
        }
        None => prepared
            .iter()
            .map(|_| (Status::NotRun("kwctl not given".to_owned()), false))
            .collect(),
    };

    let server: Vec<Status> = match &config.policy_server {
        Some(binary) => {
            let mut ids: BTreeMap<String, String> = BTreeMap::new();
            let mut policies = BTreeMap::new();
            let mut case_ids = Vec::new();
            for p in &prepared {
                if p.policy_server.is_err() || p.skip.is_some() {
                    case_ids.push(None);
                    continue;
                }
                let policy = server_policy(p);
                let key = policy.to_string();
                let next = ids.len();
                let id = ids
                    .entry(key)
                    .or_insert_with(|| format!("{}-{next:04}", p.policy))
                    .clone();
                policies.insert(id.clone(), policy);
                case_ids.push(Some(id));
            }
            progress(&format!("policy-server: {} policies", policies.len()));
            let started = Instant::now();
            let _server = start_server(config, binary, &policies)?;
            progress(&format!("policy-server ready in {:.0?}", started.elapsed()));
            let items: Vec<(&Prepared, &Option<String>)> = prepared.iter().zip(&case_ids).collect();
            parallel(&items, config.jobs, |_, (p, id)| match id {
                Some(id) => post_case(config.port, id, p),
                None => Status::NotRun(match (&p.skip, &p.policy_server) {
                    (Some(s), _) => s.clone(),
                    (None, Err(e)) => e.clone(),
                    _ => String::new(),
                }),
            })
        }
        None => prepared
            .iter()
            .map(|_| Status::NotRun("policy-server not given".to_owned()))
            .collect(),
    };

    Ok(prepared
        .into_iter()
        .zip(kwctl)
        .zip(server)
        .map(
            |((prepared, (kwctl, replayed)), policy_server)| CaseOutcome {
                prepared,
                kwctl,
                replayed,
                policy_server,
            },
        )
        .collect())
}

/// A deliberate, explained difference: cases of `policy` whose name contains `case` differ
/// through `runner` for `reason`.
struct Documented {
    runner: &'static str,
    policy: &'static str,
    case: &'static str,
    reason: &'static str,
}

/// The differences this repository accepts, each with its reason (see docs/conformance.md).
const DOCUMENTED: &[Documented] = &[];

fn documented(runner: &str, p: &Prepared) -> Option<&'static str> {
    DOCUMENTED
        .iter()
        .find(|d| d.runner == runner && d.policy == p.policy && p.case.contains(d.case))
        .map(|d| d.reason)
}

/// Counts for one runner.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    agree: usize,
    documented: usize,
    unexplained: usize,
    not_run: usize,
    replayed: usize,
}

impl Tally {
    fn add(&mut self, runner: &str, status: &Status, p: &Prepared) {
        match status {
            Status::Agree => self.agree += 1,
            Status::NotRun(_) => self.not_run += 1,
            Status::Differ(_) | Status::Error(_) => {
                if documented(runner, p).is_some() {
                    self.documented += 1;
                } else {
                    self.unexplained += 1;
                }
            }
        }
    }

    fn compared(&self) -> usize {
        self.agree + self.documented + self.unexplained
    }
}

/// Number of disagreements (differences and runner errors) without a documented reason.
pub fn unexplained(outcomes: &[CaseOutcome]) -> usize {
    let mut k = Tally::default();
    let mut s = Tally::default();
    for o in outcomes {
        k.add("kwctl", &o.kwctl, &o.prepared);
        s.add("policy-server", &o.policy_server, &o.prepared);
    }
    k.unexplained + s.unexplained
}

/// `docs/conformance.md`.
pub fn render(outcomes: &[CaseOutcome], versions: &str, filtered: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Conformance with the real engine\n");
    let _ = writeln!(
        out,
        "Generated by `make conformance` (`host-test conformance`); do not edit by hand. Every case of\n\
         every `policies/*/cases.yaml` and `tests/evasion/*/cases.yaml` is evaluated by host-test and by\n\
         Kubewarden's own runners ({versions}), and their answers are compared on `allowed`, the\n\
         status code and message, the decoded patch, the warnings and the audit annotations (for\n\
         refused settings: the settings message).\n"
    );
    if filtered {
        let _ = writeln!(
            out,
            "**This run covered a subset of the policies (`POLICY=`).**\n"
        );
    }
    let _ = writeln!(
        out,
        "- **kwctl**: `kwctl run` per case, in protect mode with mutation allowed and the module's\n  \
         `contextAwareResources` granted (what kwctl can express), compared with host-test under the same\n  \
         configuration. Cases whose evaluation makes host calls are replayed with\n  \
         `--replay-host-capabilities-interactions` from a session host-test wrote (the fixture's answers):\n  \
         a request policy-evaluator reads differently from host-test fails the replay.\n\
         - **policy-server**: one server holding one policy per (module, settings, mode, mutation, host\n  \
         capabilities, context-aware resources) combination of the cases, every case posted to\n  \
         `/validate/<id>` (its policy id `<module>-<n>` is read as the module id where policy-server\n  \
         names the policy in a message). It runs without a cluster: cases that make Kubernetes lookups are compared with\n  \
         host-test's `lookups: fail` answer. Cases whose evaluation asks an OCI registry are not posted\n  \
         (policy-server would contact the registry); kwctl's replay covers them.\n"
    );
    let mut k = Tally::default();
    let mut s = Tally::default();
    let mut per_module: BTreeMap<&str, (usize, Tally, Tally)> = BTreeMap::new();
    for o in outcomes {
        let p = &o.prepared;
        k.add("kwctl", &o.kwctl, p);
        s.add("policy-server", &o.policy_server, p);
        let entry = per_module.entry(p.policy.as_str()).or_default();
        entry.0 += 1;
        entry.1.add("kwctl", &o.kwctl, p);
        entry.2.add("policy-server", &o.policy_server, p);
        if o.replayed && o.kwctl == Status::Agree {
            k.replayed += 1;
            entry.1.replayed += 1;
        }
    }
    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(
        out,
        "| runner | cases | compared | agree | of which replayed | documented difference | unexplained | not run |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, t) in [("kwctl", k), ("policy-server", s)] {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} | {} | {} |",
            outcomes.len(),
            t.compared(),
            t.agree,
            if name == "kwctl" {
                t.replayed.to_string()
            } else {
                "-".to_owned()
            },
            t.documented,
            t.unexplained,
            t.not_run
        );
    }
    let _ = writeln!(out, "\n## Per module\n");
    let _ = writeln!(
        out,
        "Agreeing / compared cases (replayed: kwctl cases run from a recorded host-call session).\n"
    );
    let _ = writeln!(out, "| module | cases | kwctl | replayed | policy-server |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    for (module, (cases, kt, st)) in &per_module {
        let _ = writeln!(
            out,
            "| `{module}` | {cases} | {}/{} | {} | {}/{} |",
            kt.agree,
            kt.compared(),
            kt.replayed,
            st.agree,
            st.compared()
        );
    }
    let _ = writeln!(out, "\n## Disagreements\n");
    let mut any = false;
    for o in outcomes {
        for (runner, status) in [("kwctl", &o.kwctl), ("policy-server", &o.policy_server)] {
            let detail = match status {
                Status::Differ(d) => d.join("; "),
                Status::Error(e) => format!("runner error: {e}"),
                _ => continue,
            };
            any = true;
            let reason = documented(runner, &o.prepared).map_or_else(
                || "**unexplained**".to_owned(),
                |r| format!("documented: {r}"),
            );
            let _ = writeln!(
                out,
                "- {runner}, `{}` :: {}: {reason}\n  - {}",
                o.prepared.label,
                o.prepared.case,
                detail.replace('\n', " ")
            );
        }
    }
    if !any {
        let _ = writeln!(out, "None.");
    }
    let _ = writeln!(out, "\n## Not run\n");
    let mut reasons: BTreeMap<(String, String), usize> = BTreeMap::new();
    for o in outcomes {
        for (runner, status) in [("kwctl", &o.kwctl), ("policy-server", &o.policy_server)] {
            if let Status::NotRun(reason) = status {
                *reasons
                    .entry((runner.to_owned(), reason.clone()))
                    .or_default() += 1;
            }
        }
    }
    if reasons.is_empty() {
        let _ = writeln!(out, "None.");
    } else {
        let _ = writeln!(out, "| runner | cases | why |");
        let _ = writeln!(out, "|---|---:|---|");
        for ((runner, reason), n) in &reasons {
            let _ = writeln!(out, "| {runner} | {n} | {reason} |");
        }
    }
    let modules: BTreeSet<&str> = outcomes
        .iter()
        .map(|o| o.prepared.policy.as_str())
        .collect();
    let _ = writeln!(
        out,
        "\n{} modules, {} cases.",
        modules.len(),
        outcomes.len()
    );
    out
}

/// The file name of a case's session: its name in lower case, runs of other characters as
/// one `-`, at most 80 characters.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.trim_matches('-').chars().take(80).collect();
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The recorded host-call sessions of every case that makes host calls policy-evaluator
/// handles, keyed by file (`<suite dir>/sessions/<case slug>.yml`), each as kwctl replays it.
/// They are regression fixtures: `host-test sessions --check` (run by `make test`) fails when a
/// module's calls change.
///
/// # Errors
/// When a suite or module cannot be loaded, or a call cannot be written as a session.
pub fn sessions(
    harness: &Harness,
    root: &Path,
    dist: &Path,
    only: &[String],
) -> Result<BTreeMap<PathBuf, String>, String> {
    let mut files = BTreeMap::new();
    for suite_ref in suites(root, only).map_err(|e| e.to_string())? {
        let suite = suite::load_suite(&suite_ref.path).map_err(|e| error_chain(&e))?;
        let module = harness
            .load_module(dist.join(format!("{}.wasm", suite_ref.policy)))
            .map_err(|e| error_chain(&e))?;
        let report = suite::run_suite(
            &module,
            &suite,
            &suite::RunOptions {
                policy_id: Some(suite_ref.policy.clone()),
                allow_unannotated: false,
            },
        )
        .map_err(|e| error_chain(&e))?;
        let mut fixtures = FixtureCache::new();
        let mut used = BTreeSet::new();
        for (case, result) in suite.cases.iter().zip(&report.cases) {
            if result.host_calls.is_empty() {
                continue;
            }
            let resolved = suite::resolve_case(&suite, case, &suite_ref.policy, &mut fixtures)?;
            let exchanges = session_of(&module, &resolved.options, &result.host_calls)
                .map_err(|e| format!("{} :: {}: {e}", suite_ref.label, case.name))?;
            if exchanges.is_empty() {
                continue;
            }
            let base = slug(&case.name);
            let mut name = base.clone();
            let mut n = 1;
            while !used.insert(name.clone()) {
                n += 1;
                name = format!("{base}-{n}");
            }
            let text = format!(
                "# The host calls of case {:?} of {}/cases.yaml, answered from its fixture,\n\
                 # in kwctl's --replay-host-capabilities-interactions format.\n\
                 # Generated by `host-test sessions --write` (`make sessions`); `host-test sessions` (make test)\n\
                 # fails when the module's calls change.\n{}",
                case.name,
                suite_ref.label,
                replay::to_yaml(&exchanges)
            );
            files.insert(
                suite.dir().join("sessions").join(format!("{name}.yml")),
                text,
            );
        }
    }
    Ok(files)
}

/// The session files on disk under the suites of `root` (restricted to `only`).
///
/// # Errors
/// When a directory cannot be listed.
pub fn session_files_on_disk(root: &Path, only: &[String]) -> std::io::Result<BTreeSet<PathBuf>> {
    let mut found = BTreeSet::new();
    for suite_ref in suites(root, only)? {
        let dir = suite_ref
            .path
            .parent()
            .map(|d| d.join("sessions"))
            .unwrap_or_default();
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.filter_map(Result::ok) {
                if entry.path().extension().is_some_and(|e| e == "yml") {
                    found.insert(entry.path());
                }
            }
        }
    }
    Ok(found)
}

/// What differs between the expected session files and those on disk (empty: none).
pub fn check_sessions(
    expected: &BTreeMap<PathBuf, String>,
    on_disk: &BTreeSet<PathBuf>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, text) in expected {
        match std::fs::read_to_string(path) {
            Ok(current) if &current == text => {}
            Ok(_) => problems.push(format!(
                "{}: the module's host calls changed",
                path.display()
            )),
            Err(_) => problems.push(format!("{}: missing", path.display())),
        }
    }
    for path in on_disk {
        if !expected.contains_key(path) {
            problems.push(format!(
                "{}: no case makes these calls any more",
                path.display()
            ));
        }
    }
    problems
}
