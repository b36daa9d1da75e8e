//! The bundle's rules in a web page.
//!
//! Every policy crate of `policies/` is linked in (the list is generated: `gen-registry.sh`
//! writes [`registry`]), and each request runs through the very function the policy's waPC
//! `validate` export runs, [`policy_helpers::runtime::evaluate`], so verdicts, messages, codes
//! and field paths are those of the `.wasm` modules (the conformance test compares them on every
//! policy case). On top of that this crate does what the page needs and the modules do not:
//!
//! - split pasted YAML into documents, remembering where each starts ([`documents`]);
//! - turn each object into the CREATE AdmissionRequest the API server would send, with the
//!   scanner's own code ([`admission::request`]);
//! - route it only to the policies whose `metadata.yml` rules match ([`rules`]);
//! - answer context-aware lookups from the other pasted objects ([`cluster`]);
//! - find the YAML line of every field path a message names ([`locate`]).
//!
//! [`web`] holds the `wasm-bindgen` exports; everything else is plain Rust, tested natively.

pub mod cluster;
pub mod documents;
pub mod locate;
#[rustfmt::skip]
pub mod registry;
pub mod rules;
pub mod web;

use admission::fixture::ClusterFixture;
use admission::kinds::KindCatalog;
use admission::request::{RequestDefaults, admission_request_in};
use serde::Serialize;
use serde_json::{Map, Value, json};

use policy_helpers::Policy;
use policy_helpers::runtime::ValidationResponse;

/// One policy module of the bundle, linked in.
#[derive(Debug)]
pub struct Module {
    /// The policy id (`policies/<id>`).
    pub id: &'static str,
    /// The control ids its messages end with.
    pub controls: &'static str,
    /// The module's `validate` without the waPC wrapping.
    pub evaluate: fn(&[u8]) -> Result<ValidationResponse, String>,
    /// The module's `validate_settings`: `Err` with the message naming the key.
    pub check_settings: fn(&str) -> Result<(), String>,
    /// Its `metadata.yml`.
    pub metadata: &'static str,
}

/// A named embedded text (a profile).
pub struct NamedText {
    /// The name.
    pub name: &'static str,
    /// The text.
    pub text: &'static str,
}

/// A bundled example manifest.
pub struct Example {
    /// `<set>/<file>.yaml` under `examples/`.
    pub name: &'static str,
    /// Its YAML.
    pub text: &'static str,
}

/// The settings check of policy `P`, exactly as its `validate_settings` export decides.
pub fn check_settings<P: Policy>(settings: &str) -> Result<(), String> {
    policy_helpers::settings::check::<P::Settings>(settings).map(|_| ())
}

/// The module with this id.
pub fn module(id: &str) -> Option<&'static Module> {
    registry::MODULES.iter().find(|m| m.id == id)
}

/// Who sends the requests and where namespaced objects without a namespace go: the
/// scanner's [`RequestDefaults`] with the page's user.
pub type Defaults = RequestDefaults;

/// The page's request defaults: namespace `default` (as kubectl), user `playground-user` in
/// `system:authenticated`, uids `playground-<n>`.
pub fn defaults() -> Defaults {
    RequestDefaults {
        namespace: "default".into(),
        username: "playground-user".into(),
        groups: vec!["system:authenticated".into()],
        uid_prefix: "playground".into(),
    }
}

/// Runs one module on one AdmissionRequest with its settings, through the module's own
/// `validate` code path. Host calls go to the handler installed on this thread.
///
/// # Errors
/// When the payload is not a validation request (the engine would answer 500).
pub fn validate(
    module: &Module,
    request: &Value,
    settings: &Value,
) -> Result<ValidationResponse, String> {
    let payload = json!({"request": request, "settings": settings});
    let bytes = serde_json::to_vec(&payload).map_err(|e| e.to_string())?;
    (module.evaluate)(&bytes)
}

/// One policy chosen for a run and its settings.
#[derive(Debug, Clone)]
pub struct Selected {
    /// The module.
    pub module: &'static Module,
    /// Its settings (`{}` when none).
    pub settings: Value,
}

/// Reads a selection: a YAML (or JSON) mapping from policy id to that policy's settings
/// (`null` or `{}` for the defaults).
///
/// # Errors
/// A message naming the unknown id or the selection's syntax error.
pub fn parse_selection(text: &str) -> Result<Vec<Selected>, String> {
    let value: Value = if text.trim().is_empty() {
        Value::Object(Map::new())
    } else {
        serde_yaml::from_str(text).map_err(|e| format!("policies and settings: {e}"))?
    };
    let map = match value {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        _ => {
            return Err(
                "policies and settings: expected a mapping from policy id to its settings".into(),
            );
        }
    };
    let mut out = Vec::with_capacity(map.len());
    for (id, settings) in map {
        let module = module(&id).ok_or_else(|| {
            format!("policies and settings: '{id}' is not a policy of the bundle")
        })?;
        let settings = if settings.is_null() {
            Value::Object(Map::new())
        } else {
            settings
        };
        out.push(Selected { module, settings });
    }
    Ok(out)
}

/// A profile turned into a selection (policy id to settings, in the profile's order), with the
/// policies it runs in monitor mode.
///
/// # Errors
/// When there is no such profile or it does not parse.
pub fn profile_selection(name: &str) -> Result<(String, Vec<String>), String> {
    let profile = registry::PROFILES
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| format!("no profile named '{name}'"))?;
    let value: Value = serde_yaml::from_str(profile.text)
        .map_err(|e| format!("profile {name} does not parse: {e}"))?;
    let mut selection = serde_yaml::Mapping::new();
    let mut monitor = Vec::new();
    for entry in value
        .get("policies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = entry.get("id").and_then(Value::as_str) else {
            continue;
        };
        let settings = entry.get("settings").cloned().unwrap_or(json!({}));
        let settings: serde_yaml::Value =
            serde_json::from_value(settings).map_err(|e| e.to_string())?;
        selection.insert(serde_yaml::Value::String(id.to_owned()), settings);
        if entry.get("mode").and_then(Value::as_str) == Some("monitor") {
            monitor.push(id.to_owned());
        }
    }
    let text = serde_yaml::to_string(&selection).map_err(|e| e.to_string())?;
    Ok((text, monitor))
}

/// One finding of a rejection: its text and where in the YAML it points.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    /// The finding as the message states it.
    pub text: String,
    /// The full field path it names, if any.
    pub path: Option<String>,
    /// 1-based line in the pasted text.
    pub line: Option<usize>,
}

/// The verdict of one policy on one object.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Index of the document.
    pub document: usize,
    /// The policy id.
    pub policy: String,
    /// Its control ids.
    pub controls: String,
    /// Allowed or not.
    pub allowed: bool,
    /// The message (rejections).
    pub message: Option<String>,
    /// The code (400 for unreadable objects, 500 for invalid settings).
    pub code: Option<u16>,
    /// Warnings.
    pub warnings: Vec<String>,
    /// The message split into findings with their lines.
    pub findings: Vec<Finding>,
}

/// One document of the input.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentInfo {
    /// 1-based first line.
    pub line: usize,
    /// Kind, namespace (after defaulting) and name.
    pub kind: String,
    /// Namespace of the request, if namespaced.
    pub namespace: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// The policies whose rules route it.
    pub routed: Vec<String>,
}

/// The result of a run.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// The objects read.
    pub documents: Vec<DocumentInfo>,
    /// One entry per (object, routed policy).
    pub outcomes: Vec<Outcome>,
    /// Settings a policy refused: (policy, message).
    pub settings_errors: Vec<(String, String)>,
    /// Documents that are not Kubernetes objects: (line, message).
    pub input_errors: Vec<(usize, String)>,
}

/// Evaluates every object of `yaml` against the selected policies with their settings.
pub fn run(yaml: &str, selection: &[Selected], defaults: &Defaults) -> Report {
    let mut report = Report::default();
    let docs = documents::split(yaml);
    let mut objects = Vec::new();
    for doc in &docs {
        match documents::parse(doc) {
            Ok(Some(v)) => objects.push((doc, v)),
            Ok(None) => {}
            Err(e) => report.input_errors.push((doc.line, e)),
        }
    }
    let mut valid = Vec::new();
    for s in selection {
        let text = s.settings.to_string();
        match (s.module.check_settings)(&text) {
            Ok(()) => valid.push(s),
            Err(e) => report
                .settings_errors
                .push((s.module.id.to_owned(), e.to_string())),
        }
    }
    // Kinds as the scanner knows them: built in, or taught by a pasted CustomResourceDefinition.
    let catalog = KindCatalog::new(&ClusterFixture::empty(), objects.iter().map(|(_, o)| o));
    let requests: Vec<Value> = objects
        .iter()
        .enumerate()
        .map(|(i, (_, o))| admission_request_in(o, i + 1, defaults, &catalog))
        .collect();
    let pasted: Vec<Value> = requests
        .iter()
        .filter_map(|r| r.get("object").cloned())
        .collect();
    for (index, ((doc, _), request)) in objects.iter().zip(&requests).enumerate() {
        let mut info = DocumentInfo {
            line: doc.line,
            kind: request
                .pointer("/kind/kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            namespace: request
                .get("namespace")
                .and_then(Value::as_str)
                .map(str::to_owned),
            name: request
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            routed: Vec::new(),
        };
        for s in &valid {
            if !rules::routes(s.module.metadata, request) {
                continue;
            }
            info.routed.push(s.module.id.to_owned());
            let others: Vec<Value> = pasted
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != index)
                .map(|(_, o)| o.clone())
                .collect();
            let grants = rules::context_aware_resources(s.module.metadata);
            cluster::install(others, grants);
            let result = validate(s.module, request, &s.settings);
            cluster::uninstall();
            let outcome = match result {
                Ok(r) => {
                    let findings = r
                        .message
                        .as_deref()
                        .filter(|_| !r.accepted)
                        .map(|m| locate::findings(m, doc, &request["object"]))
                        .unwrap_or_default();
                    Outcome {
                        document: index,
                        policy: s.module.id.to_owned(),
                        controls: s.module.controls.to_owned(),
                        allowed: r.accepted,
                        message: r.message,
                        code: r.code,
                        warnings: r.warnings.unwrap_or_default(),
                        findings,
                    }
                }
                Err(e) => Outcome {
                    document: index,
                    policy: s.module.id.to_owned(),
                    controls: s.module.controls.to_owned(),
                    allowed: false,
                    message: Some(e),
                    code: Some(500),
                    warnings: Vec::new(),
                    findings: Vec::new(),
                },
            };
            report.outcomes.push(outcome);
        }
        report.documents.push(info);
    }
    report
}
