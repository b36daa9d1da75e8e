//! Scanning plain Kubernetes manifests (not admission requests) against every module of a
//! bundle, as `host-test scan` does: manifests are read from files, directories or stdin
//! (multi-document YAML as `helm template` emits it, JSON, `kind: List` expanded), each object
//! becomes the CREATE AdmissionRequest the API server would send for it, and every module
//! whose metadata `rules` route that request evaluates it with its settings.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Map, Value, json};

use crate::engine::{Harness, LoadError};
use crate::evaluate::{EvalError, EvalOptions, PolicyModule};
use crate::fixture::ClusterFixture;
use crate::kinds::KindCatalog;
use crate::profile::{Profile, ProfileError};
use crate::request;
use crate::response::PolicyMode;

/// Metadata annotation listing the controls a policy implements.
pub const CONTROLS_ANNOTATION: &str = "io.aks-baseline-policies/controls";

/// Metadata annotation giving a policy's severity: `critical`, `high`, `medium` or `low`.
pub const SEVERITY_ANNOTATION: &str = "io.aks-baseline-policies/severity";

/// How stdin is named in reports.
pub const STDIN_NAME: &str = "<stdin>";

/// The username of scan requests when none is given.
pub const DEFAULT_USERNAME: &str = "host-test-scan";

/// One Kubernetes object read from a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The file it came from (as given or found; [`STDIN_NAME`] for stdin).
    pub file: String,
    /// 1-based line where its document's content starts (for the items of a `List`, the
    /// line of the `List` document).
    pub line: usize,
    /// The object.
    pub object: Value,
    /// The template a `helm template` document came from: the path of its `# Source:`
    /// comment, when the document has one (the items of a `List` share it).
    pub source: Option<String>,
}

impl Manifest {
    /// `kind` of the object (`""` when missing).
    pub fn kind(&self) -> &str {
        self.object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// `metadata.name` of the object, if any.
    pub fn name(&self) -> Option<&str> {
        self.object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
    }

    /// `apiVersion` of the object (`""` when missing).
    pub fn api_version(&self) -> &str {
        self.object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// A manifest that could not be read or used: unreadable file, invalid YAML or JSON, a
/// document that is not a Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file (or path argument).
    pub file: String,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl InputError {
    fn at(file: &str, line: usize, message: String) -> InputError {
        InputError {
            file: file.to_owned(),
            line: Some(line),
            message,
        }
    }
}

/// The objects read from some inputs, and the problems met on the way.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifests {
    /// Objects, in input order (files in argument order, directories walked in name order).
    pub objects: Vec<Manifest>,
    /// Input errors, in input order.
    pub errors: Vec<InputError>,
}

impl Manifests {
    /// Appends `other`.
    pub fn extend(&mut self, other: Manifests) {
        self.objects.extend(other.objects);
        self.errors.extend(other.errors);
    }
}

/// Whether a directory entry is a manifest file (`*.yaml`, `*.yml`, `*.json`).
fn is_manifest_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["yaml", "yml", "json"].contains(&e.to_ascii_lowercase().as_str()))
}

fn is_json_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// The manifest files under `dir`, recursively, sorted by path. Hidden files and directories
/// (name starting with `.`) are skipped, and symbolic links to directories are not followed.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<InputError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(InputError {
                file: dir.display().to_string(),
                line: None,
                message: format!("cannot read directory: {e}"),
            });
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            walk(&path, files, errors);
        } else if is_manifest_file(&path) && path.is_file() {
            files.push(path);
        }
    }
}

/// Reads the manifests of `paths`: files (whatever their extension), directories (their
/// `*.yaml`, `*.yml` and `*.json` files, recursively) and `-` for stdin (read once).
/// Nothing fails: problems become [`InputError`]s and the rest is still read.
pub fn read_manifests(paths: &[PathBuf]) -> Manifests {
    let mut out = Manifests::default();
    let mut stdin_read = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if stdin_read {
                continue;
            }
            stdin_read = true;
            let mut text = String::new();
            match std::io::stdin().read_to_string(&mut text) {
                Ok(_) => {
                    let json = text.trim_start().starts_with(['{', '[']);
                    out.extend(parse_manifests(&text, STDIN_NAME, json));
                }
                Err(e) => out.errors.push(InputError {
                    file: STDIN_NAME.to_owned(),
                    line: None,
                    message: format!("cannot read: {e}"),
                }),
            }
            continue;
        }
        let files = if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files, &mut out.errors);
            files
        } else {
            vec![path.clone()]
        };
        for file in files {
            out.extend(read_manifest_file(&file));
        }
    }
    out
}

/// Reads one manifest file (JSON when its extension is `.json`, YAML otherwise).
pub fn read_manifest_file(path: &Path) -> Manifests {
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => parse_manifests(&text, &name, is_json_file(path)),
        Err(e) => Manifests {
            objects: Vec::new(),
            errors: vec![InputError {
                file: name,
                line: None,
                message: format!("cannot read: {e}"),
            }],
        },
    }
}

/// Parses manifest text from `file`: a stream of JSON values when `json`, else
/// multi-document YAML. Empty documents are skipped, `List` documents expanded; every other
/// document must be a mapping with a string `apiVersion` and `kind`.
pub fn parse_manifests(text: &str, file: &str, json: bool) -> Manifests {
    let mut out = Manifests::default();
    let documents = if json {
        json_documents(text, file, &mut out.errors)
    } else {
        yaml_documents(text, file, &mut out.errors)
    };
    for (line, source, value) in documents {
        add_document(value, file, line, source, &mut out);
    }
    out
}

/// The documents of a JSON stream with the line each starts on; stops at the first error.
fn json_documents(
    text: &str,
    file: &str,
    errors: &mut Vec<InputError>,
) -> Vec<(usize, Option<String>, Value)> {
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let offset = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                let rest = &text[offset..];
                let start = offset + (rest.len() - rest.trim_start().len());
                out.push((line_of(text, start), None, value));
            }
            Some(Err(e)) => {
                errors.push(InputError {
                    file: file.to_owned(),
                    line: Some(e.line().max(1)),
                    message: format!("invalid JSON: {e}"),
                });
                break;
            }
        }
    }
    out
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].bytes().filter(|b| *b == b'\n').count() + 1
}

/// Whether `line` is the YAML document marker `marker` (`---` or `...`), alone or followed
/// by whitespace.
fn is_marker(line: &str, marker: &str) -> Option<usize> {
    let rest = line.strip_prefix(marker)?;
    (rest.is_empty() || rest.starts_with([' ', '\t', '\r'])).then_some(marker.len())
}

/// Whether a line carries no content (blank, comment or directive).
fn is_blank(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.is_empty() || trimmed.starts_with('#') || line.starts_with('%')
}

/// One YAML document: its text, and the 1-based line its first text line has in the file.
struct Chunk {
    first_line: usize,
    text: String,
}

/// Splits a YAML stream at its `---` and `...` markers (a marker at the start of a line is
/// always a document boundary in YAML, even inside a block scalar).
fn split_documents(text: &str) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut current = Chunk {
        first_line: 1,
        text: String::new(),
    };
    for (index, line) in text.split('\n').enumerate() {
        let number = index + 1;
        if let Some(len) = is_marker(line, "---") {
            chunks.push(std::mem::replace(
                &mut current,
                Chunk {
                    first_line: number,
                    text: String::new(),
                },
            ));
            // Content may follow the marker on its line (`--- {a: 1}`); keep its columns.
            current.text.push_str(&" ".repeat(len));
            current.text.push_str(&line[len..]);
            current.text.push('\n');
        } else if is_marker(line, "...").is_some() {
            chunks.push(std::mem::replace(
                &mut current,
                Chunk {
                    first_line: number + 1,
                    text: String::new(),
                },
            ));
        } else {
            current.text.push_str(line);
            current.text.push('\n');
        }
    }
    chunks.push(current);
    chunks
}

/// The path of a `# Source: <path>` comment (as `helm template` writes before each
/// document) among the lines before a document's content.
fn helm_source<'a>(mut lines: impl Iterator<Item = &'a str>) -> Option<String> {
    lines.find_map(|line| {
        let path = line
            .trim()
            .strip_prefix('#')?
            .trim()
            .strip_prefix("Source:")?;
        let path = path.trim();
        (!path.is_empty()).then(|| path.to_owned())
    })
}

/// The non-empty documents of a YAML stream with the line their content starts on and their
/// `# Source:` path.
fn yaml_documents(
    text: &str,
    file: &str,
    errors: &mut Vec<InputError>,
) -> Vec<(usize, Option<String>, Value)> {
    let mut out = Vec::new();
    for chunk in split_documents(text) {
        let Some(offset) = chunk.text.split('\n').position(|line| !is_blank(line)) else {
            continue;
        };
        let source = helm_source(chunk.text.split('\n').take(offset));
        let start = chunk.first_line + offset;
        let error = |line: usize, message: String| InputError {
            file: file.to_owned(),
            line: Some(line),
            message,
        };
        let parsed = serde_yaml::from_str::<serde_yaml::Value>(&chunk.text).and_then(|mut v| {
            v.apply_merge()?;
            Ok(v)
        });
        match parsed {
            Ok(value) => match yaml_to_json(value) {
                Ok(Value::Null) => {}
                Ok(value) => out.push((start, source, value)),
                Err(message) => errors.push(error(start, format!("invalid YAML: {message}"))),
            },
            Err(_) => {
                // Parse again with the lines before the document blanked, so that the
                // parser's own positions are those of the file.
                let padded = format!("{}{}", "\n".repeat(chunk.first_line - 1), chunk.text);
                let e = match serde_yaml::from_str::<serde_yaml::Value>(&padded) {
                    Err(e) => e,
                    Ok(mut v) => match v.apply_merge() {
                        Err(e) => e,
                        Ok(()) => continue,
                    },
                };
                let line = e.location().map_or(start, |l| l.line().max(start));
                errors.push(error(line, format!("invalid YAML: {e}")));
            }
        }
    }
    out
}

/// A YAML value as JSON, as `sigs.k8s.io/yaml` converts it for kubectl: scalar keys become
/// strings, tags are dropped.
fn yaml_to_json(value: serde_yaml::Value) -> Result<Value, String> {
    use serde_yaml::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| format!("the number {n} cannot be represented in JSON"))?
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(mapping) => {
            let mut out = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".to_owned(),
                    _ => return Err("a mapping key is not a scalar".to_owned()),
                };
                out.insert(key, yaml_to_json(value)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => yaml_to_json(tagged.value)?,
    })
}

fn add_document(
    value: Value,
    file: &str,
    line: usize,
    source: Option<String>,
    out: &mut Manifests,
) {
    let error = |message: String| InputError {
        file: file.to_owned(),
        line: Some(line),
        message,
    };
    let Value::Object(object) = value else {
        out.errors
            .push(error("document is not a mapping".to_owned()));
        return;
    };
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind == "List" || (kind.ends_with("List") && object.contains_key("items")) {
        let items = match object.get("items") {
            Some(Value::Array(items)) => items.clone(),
            None | Some(Value::Null) => Vec::new(),
            Some(_) => {
                out.errors
                    .push(error(format!("'items' of a {kind} must be a list")));
                return;
            }
        };
        for (index, item) in items.into_iter().enumerate() {
            match check_object(item) {
                Ok(object) => out.objects.push(Manifest {
                    file: file.to_owned(),
                    line,
                    object,
                    source: source.clone(),
                }),
                Err(problem) => out.errors.push(error(format!(
                    "item {} of the {kind}: {problem}",
                    index + 1
                ))),
            }
        }
        return;
    }
    match check_object(Value::Object(object)) {
        Ok(object) => out.objects.push(Manifest {
            file: file.to_owned(),
            line,
            object,
            source,
        }),
        Err(problem) => out.errors.push(error(problem)),
    }
}

fn check_object(value: Value) -> Result<Value, String> {
    let Some(object) = value.as_object() else {
        return Err("not a mapping".to_owned());
    };
    if !object.get("apiVersion").is_some_and(Value::is_string) {
        return Err("not a Kubernetes object: no string 'apiVersion'".to_owned());
    }
    if !object.get("kind").is_some_and(Value::is_string) {
        return Err("not a Kubernetes object: no string 'kind'".to_owned());
    }
    match object.get("metadata") {
        None | Some(Value::Null | Value::Object(_)) => {}
        Some(_) => return Err("'metadata' must be a mapping".to_owned()),
    }
    if object
        .get("metadata")
        .and_then(|m| m.get("namespace"))
        .is_some_and(|ns| !ns.is_string() && !ns.is_null())
    {
        return Err("'metadata.namespace' must be a string".to_owned());
    }
    if object
        .get("metadata")
        .and_then(|m| m.get("name"))
        .is_some_and(|n| !n.is_string() && !n.is_null())
    {
        return Err("'metadata.name' must be a string".to_owned());
    }
    Ok(value)
}

pub use crate::kinds::resource_for_kind;

/// Whether objects of `kind` are cluster-scoped: the built-in list of cluster fixtures
/// (Namespace, Node, ClusterRole, ClusterRoleBinding, PersistentVolume, StorageClass,
/// CustomResourceDefinition, PriorityClass, RuntimeClass, IngressClass, … plus the fixture's
/// own `clusterScopedKinds`) and any `*WebhookConfiguration`.
pub fn is_cluster_scoped(kind: &str, cluster: &ClusterFixture) -> bool {
    cluster.is_cluster_scoped(kind) || kind.ends_with("WebhookConfiguration")
}

/// Who sends the scan's requests, and where namespaced objects without a namespace go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestDefaults {
    /// Namespace of namespaced objects without `metadata.namespace` (`default`).
    pub namespace: String,
    /// `userInfo.username` ([`DEFAULT_USERNAME`]).
    pub username: String,
    /// `userInfo.groups` (none).
    pub groups: Vec<String>,
}

impl Default for RequestDefaults {
    fn default() -> Self {
        RequestDefaults {
            namespace: "default".to_owned(),
            username: DEFAULT_USERNAME.to_owned(),
            groups: Vec::new(),
        }
    }
}

/// The CREATE AdmissionRequest the API server would send for `object`, with uid
/// `scan-<number>`. A namespaced object without `metadata.namespace` gets the default
/// namespace, in the request and (as the API server fills it in before admission) in the
/// object; a cluster-scoped object has no request namespace. Kinds are resolved with the
/// built-in table and the cluster fixture (see [`admission_request_in`] to add the
/// CustomResourceDefinitions of the scanned objects).
pub fn admission_request(
    object: &Value,
    number: usize,
    defaults: &RequestDefaults,
    cluster: &ClusterFixture,
) -> Value {
    let catalog = KindCatalog::new(cluster, std::iter::empty());
    admission_request_in(object, number, defaults, &catalog)
}

/// [`admission_request`] with the kinds (plural resource, scope) of `catalog`.
pub fn admission_request_in(
    object: &Value,
    number: usize,
    defaults: &RequestDefaults,
    catalog: &KindCatalog,
) -> Value {
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let resource = catalog.resource(group, kind);
    let mut object = object.clone();
    let namespace = if catalog.is_cluster_scoped(group, kind) {
        None
    } else {
        let given = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .filter(|ns| !ns.is_empty())
            .map(str::to_owned);
        let namespace = given.unwrap_or_else(|| defaults.namespace.clone());
        if let Some(map) = object.as_object_mut() {
            let metadata = map
                .entry("metadata")
                .or_insert_with(|| Value::Object(Map::new()));
            if !metadata.is_object() {
                *metadata = Value::Object(Map::new());
            }
            metadata["namespace"] = Value::String(namespace.clone());
        }
        Some(namespace)
    };
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let kind_triple = json!({"group": group, "version": version, "kind": kind});
    let resource_triple = json!({"group": group, "version": version, "resource": resource});
    let mut request = Map::new();
    request.insert("uid".to_owned(), json!(format!("scan-{number}")));
    request.insert("kind".to_owned(), kind_triple.clone());
    request.insert("resource".to_owned(), resource_triple.clone());
    request.insert("requestKind".to_owned(), kind_triple);
    request.insert("requestResource".to_owned(), resource_triple);
    if let Some(name) = name {
        request.insert("name".to_owned(), json!(name));
    }
    if let Some(namespace) = namespace {
        request.insert("namespace".to_owned(), json!(namespace));
    }
    request.insert("operation".to_owned(), json!("CREATE"));
    request.insert(
        "userInfo".to_owned(),
        json!({"username": defaults.username, "groups": defaults.groups}),
    );
    request.insert("object".to_owned(), object);
    request.insert("dryRun".to_owned(), json!(false));
    request.insert(
        "options".to_owned(),
        json!({"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}),
    );
    Value::Object(request)
}

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
        }
    }

    /// The control ids of [`ScanPolicy::controls`], in annotation order.
    pub fn control_ids(&self) -> Vec<String> {
        split_controls(self.controls.as_deref())
    }
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
) -> Result<(Vec<ScanPolicy>, Vec<(PathBuf, ScanError)>), ScanError> {
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
    let mut policies = Vec::with_capacity(profile.policies.len());
    for entry in &profile.policies {
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
        policies.push(policy);
    }
    Ok(policies)
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

/// Reports progress: called with (evaluations done, evaluations in all).
#[derive(Clone)]
pub struct ProgressSink(pub Arc<dyn Fn(usize, usize) + Send + Sync>);

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// How a scan runs.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Namespace and user of the requests.
    pub defaults: RequestDefaults,
    /// The cluster that already exists (empty when `None`): host calls are answered from it
    /// and, when `manifests_as_context`, from the scanned objects.
    pub cluster: Option<Arc<ClusterFixture>>,
    /// Whether the scanned objects are part of the cluster the Kubernetes host calls see
    /// (each evaluation does not see the object it evaluates, which is being created).
    pub manifests_as_context: bool,
    /// Evaluations run in parallel on this many threads (0: as many as the machine has).
    pub threads: usize,
    /// The lowest severity whose violations fail the scan (`None`: nothing fails).
    pub fail_on: Option<Severity>,
    /// Objects of kinds nothing declares are warnings instead of input errors.
    pub allow_unknown_kinds: bool,
    /// Called as evaluations finish.
    pub progress: Option<ProgressSink>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            defaults: RequestDefaults::default(),
            cluster: None,
            manifests_as_context: true,
            threads: 0,
            fail_on: Some(Severity::Low),
            allow_unknown_kinds: false,
            progress: None,
        }
    }
}

/// What one evaluation ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The policy accepted the object.
    Allowed,
    /// The policy rejected the object.
    Rejected,
    /// The policy failed to answer (guest error, trap, limit, unparsable answer) or the
    /// request could not be evaluated; the API server would reject the object.
    Error,
}

/// One evaluation of one object by one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The object's file.
    pub file: String,
    /// The line its document starts on.
    pub line: usize,
    /// The `# Source:` template of its document, for `helm template` output.
    pub source: Option<String>,
    /// The object's `apiVersion`.
    pub api_version: String,
    /// The object's kind.
    pub kind: String,
    /// The request's namespace (none for cluster-scoped kinds).
    pub namespace: Option<String>,
    /// The object's name.
    pub name: Option<String>,
    /// The policy id.
    pub policy: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The AdmissionResponse's `allowed` (in protect mode: monitor-mode verdicts are
    /// reported as they would be enforced).
    pub allowed: bool,
    /// `status.message` (or the harness error).
    pub message: Option<String>,
    /// `status.code`.
    pub code: Option<u16>,
    /// The policy's controls annotation.
    pub controls: Option<String>,
    /// The policy's severity.
    pub severity: Severity,
    /// The policy's mode.
    pub mode: PolicyMode,
    /// The field paths the message names (see [`crate::report::field_paths`]).
    pub paths: Vec<String>,
}

impl Finding {
    /// `Kind ns/name`, `Kind name` for cluster-scoped objects.
    pub fn object_label(&self) -> String {
        let name = self.name.as_deref().unwrap_or("(unnamed)");
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{name}", self.kind),
            None => format!("{} {name}", self.kind),
        }
    }

    /// Whether this evaluation fails a scan whose threshold is `fail_on`: it did not allow
    /// its object, its policy is in protect mode, and its severity is at least `fail_on`.
    pub fn fails(&self, fail_on: Option<Severity>) -> bool {
        !self.allowed
            && self.mode == PolicyMode::Protect
            && fail_on.is_some_and(|threshold| self.severity >= threshold)
    }

    /// The control ids of the policy.
    pub fn control_ids(&self) -> Vec<String> {
        split_controls(self.controls.as_deref())
    }
}

impl serde::Serialize for Finding {
    /// `file`, `line`, `kind`, `namespace`, `name`, `policy`, `allowed`, `message`, `code`,
    /// then `controls` when known and `error: true` for evaluations that failed, then
    /// `apiVersion`, `source` (when known), `severity`, `mode` and `paths`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let error = self.outcome == Outcome::Error;
        let fields = 13
            + usize::from(self.controls.is_some())
            + usize::from(error)
            + usize::from(self.source.is_some());
        let mut out = serializer.serialize_struct("Finding", fields)?;
        out.serialize_field("file", &self.file)?;
        out.serialize_field("line", &self.line)?;
        out.serialize_field("kind", &self.kind)?;
        out.serialize_field("namespace", &self.namespace)?;
        out.serialize_field("name", &self.name)?;
        out.serialize_field("policy", &self.policy)?;
        out.serialize_field("allowed", &self.allowed)?;
        out.serialize_field("message", &self.message)?;
        out.serialize_field("code", &self.code)?;
        if let Some(controls) = &self.controls {
            out.serialize_field("controls", controls)?;
        }
        if error {
            out.serialize_field("error", &true)?;
        }
        out.serialize_field("apiVersion", &self.api_version)?;
        if let Some(source) = &self.source {
            out.serialize_field("source", source)?;
        }
        out.serialize_field("severity", &self.severity)?;
        out.serialize_field("mode", &self.mode)?;
        out.serialize_field("paths", &self.paths)?;
        out.end()
    }
}

/// What a report says of one policy of the scan.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyInfo {
    /// Policy id.
    pub id: String,
    /// Its control ids.
    pub controls: Vec<String>,
    /// Its severity.
    pub severity: Severity,
    /// Its mode.
    pub mode: PolicyMode,
    /// `io.kubewarden.policy.title`.
    pub title: Option<String>,
    /// `io.kubewarden.policy.description`.
    pub description: Option<String>,
    /// The first paragraph of its README (`io.kubewarden.policy.usage`).
    pub help: Option<String>,
    /// `io.kubewarden.policy.url`.
    pub url: Option<String>,
}

impl PolicyInfo {
    /// What `policy`'s module metadata says.
    pub fn of(policy: &ScanPolicy) -> PolicyInfo {
        let text = |key: &str| {
            annotation(&policy.module, key)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        PolicyInfo {
            id: policy.id.clone(),
            controls: policy.control_ids(),
            severity: policy.severity,
            mode: policy.mode,
            title: text("io.kubewarden.policy.title"),
            description: text("io.kubewarden.policy.description"),
            help: annotation(&policy.module, crate::metadata::USAGE_ANNOTATION)
                .and_then(crate::report::first_paragraph),
            url: text("io.kubewarden.policy.url"),
        }
    }
}

/// The result of a scan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanReport {
    /// Number of objects read.
    pub objects: usize,
    /// The policies of the scan, in scan order.
    pub policies: Vec<PolicyInfo>,
    /// Every evaluation, by object (input order) then policy (scan order).
    pub findings: Vec<Finding>,
    /// Inputs that could not be used (and, unless allowed, objects of unknown kinds).
    pub input_errors: Vec<InputError>,
    /// Things worth knowing that do not change the outcome: objects defined twice, unknown
    /// kinds when they are allowed.
    pub warnings: Vec<InputError>,
    /// The lowest severity whose violations fail the scan (`None`: nothing fails).
    pub fail_on: Option<Severity>,
}

impl ScanReport {
    /// Number of evaluations.
    pub fn evaluations(&self) -> usize {
        self.findings.len()
    }

    /// Number of evaluations the policy rejected.
    pub fn rejected(&self) -> usize {
        self.count(Outcome::Rejected)
    }

    /// Number of evaluations that failed plus the number of input errors.
    pub fn errors(&self) -> usize {
        self.count(Outcome::Error) + self.input_errors.len()
    }

    /// Number of evaluations that fail the scan (see [`Finding::fails`]).
    pub fn failing(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.fails(self.fail_on))
            .count()
    }

    fn count(&self, outcome: Outcome) -> usize {
        self.findings
            .iter()
            .filter(|f| f.outcome == outcome)
            .count()
    }

    /// `N objects, N evaluations, N rejected, N errors`.
    pub fn summary(&self) -> String {
        format!(
            "{} objects, {} evaluations, {} rejected, {} errors",
            self.objects,
            self.evaluations(),
            self.rejected(),
            self.errors()
        )
    }

    /// The exit code of `host-test scan`: 2 when an input could not be used, else 1 when an
    /// evaluation fails the scan (did not allow its object, in protect mode, at or above
    /// [`ScanReport::fail_on`]), else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.input_errors.is_empty() {
            2
        } else if self.failing() > 0 {
            1
        } else {
            0
        }
    }
}

/// The key that makes two objects the same object of a cluster.
fn identity(object: &Value) -> Option<(String, String, Option<String>, String)> {
    let api_version = object.get("apiVersion").and_then(Value::as_str)?;
    let kind = object.get("kind").and_then(Value::as_str)?;
    let name = object.pointer("/metadata/name").and_then(Value::as_str)?;
    let namespace = object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some((
        crate::kinds::api_group(api_version).to_owned(),
        kind.to_owned(),
        namespace,
        name.to_owned(),
    ))
}

/// The cluster the evaluations see: the fixture's objects (but those the scan redefines),
/// then every named scanned object as the API server would store it, plus the cluster-scoped
/// kinds of CustomResourceDefinitions. Returns it with, per scanned object, its index in it.
fn context_cluster(
    base: &ClusterFixture,
    requests: &[Value],
    catalog: &KindCatalog,
) -> (ClusterFixture, Vec<Option<usize>>) {
    let scanned: BTreeMap<_, ()> = requests
        .iter()
        .filter_map(|r| r.get("object").and_then(identity))
        .map(|key| (key, ()))
        .collect();
    let mut cluster = ClusterFixture {
        objects: base
            .objects
            .iter()
            .filter(|o| identity(o).is_none_or(|key| !scanned.contains_key(&key)))
            .cloned()
            .collect(),
        ..base.clone()
    };
    cluster
        .cluster_scoped_kinds
        .extend(catalog.custom_cluster_scoped_kinds().map(str::to_owned));
    let mut positions = Vec::with_capacity(requests.len());
    for request in requests {
        match request.get("object") {
            Some(object) if identity(object).is_some() => {
                positions.push(Some(cluster.objects.len()));
                cluster.objects.push(object.clone());
            }
            _ => positions.push(None),
        }
    }
    (cluster, positions)
}

/// Evaluates every object of `manifests` with every policy whose metadata rules route its
/// CREATE request (objects in input order, uids `scan-1`, `scan-2`, …), as policy-server
/// runs the policy in protect mode (a monitor-mode policy's verdict is reported as it would
/// be enforced, and never fails the scan), allowed to mutate as the policy says, with every
/// host capability and the module's context-aware resources. Kubernetes host calls see the
/// cluster fixture plus (with `manifests_as_context`) the other scanned objects.
pub fn scan(policies: &[ScanPolicy], manifests: Manifests, options: &ScanOptions) -> ScanReport {
    let empty = ClusterFixture::empty();
    let base = options.cluster.as_deref().unwrap_or(&empty);
    let catalog = KindCatalog::new(base, manifests.objects.iter().map(|m| &m.object));
    let mut input_errors = manifests.errors;
    let mut warnings = Vec::new();
    for manifest in &manifests.objects {
        let group = crate::kinds::api_group(manifest.api_version());
        if catalog.lookup(group, manifest.kind()).is_none() {
            let problem = InputError::at(
                &manifest.file,
                manifest.line,
                format!(
                    "unknown kind {} {}: not a built-in Kubernetes kind, and no CustomResourceDefinition among the inputs or in the cluster fixture declares it",
                    manifest.api_version(),
                    manifest.kind()
                ),
            );
            if options.allow_unknown_kinds {
                warnings.push(problem);
            } else {
                input_errors.push(problem);
            }
        }
    }
    let requests: Vec<Value> = manifests
        .objects
        .iter()
        .enumerate()
        .map(|(i, m)| admission_request_in(&m.object, i + 1, &options.defaults, &catalog))
        .collect();
    let mut first_seen: BTreeMap<_, usize> = BTreeMap::new();
    for (index, request) in requests.iter().enumerate() {
        let Some(key) = request.get("object").and_then(identity) else {
            continue;
        };
        if let Some(first) = first_seen.get(&key) {
            let first = &manifests.objects[*first];
            let manifest = &manifests.objects[index];
            warnings.push(InputError::at(
                &manifest.file,
                manifest.line,
                format!(
                    "{} {} is also defined at {}:{} (creating it again would fail)",
                    manifest.kind(),
                    match &key.2 {
                        Some(ns) => format!("{ns}/{}", key.3),
                        None => key.3.clone(),
                    },
                    first.file,
                    first.line
                ),
            ));
        } else {
            first_seen.insert(key, index);
        }
    }
    let (cluster, positions) = if options.manifests_as_context {
        let (cluster, positions) = context_cluster(base, &requests, &catalog);
        (Arc::new(cluster), positions)
    } else {
        let cluster = options
            .cluster
            .clone()
            .unwrap_or_else(|| Arc::new(ClusterFixture::empty()));
        (cluster, vec![None; requests.len()])
    };
    let jobs: Vec<(usize, usize)> = requests
        .iter()
        .enumerate()
        .flat_map(|(object, request)| {
            policies
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    p.module
                        .metadata()
                        .is_some_and(|m| m.routes_request(request))
                })
                .map(move |(policy, _)| (object, policy))
        })
        .collect();

    let evaluate = |(object, policy): (usize, usize)| -> Finding {
        let manifest = &manifests.objects[object];
        let request = &requests[object];
        let policy = &policies[policy];
        let eval_options = EvalOptions {
            policy_id: Some(policy.id.clone()),
            mode: PolicyMode::Protect,
            allowed_to_mutate: policy.allowed_to_mutate,
            cluster: Some(cluster.clone()),
            hidden_object: positions[object],
            ..EvalOptions::default()
        };
        let (outcome, allowed, message, code) =
            match policy
                .module
                .validate_with(request, &policy.settings, &eval_options)
            {
                Ok(evaluation) => {
                    let failed =
                        evaluation.failure.is_some() || evaluation.policy_response.is_none();
                    let outcome = if failed {
                        Outcome::Error
                    } else if evaluation.allowed() {
                        Outcome::Allowed
                    } else {
                        Outcome::Rejected
                    };
                    (
                        outcome,
                        evaluation.allowed(),
                        evaluation.message().map(str::to_owned),
                        evaluation.code(),
                    )
                }
                Err(e) => (
                    Outcome::Error,
                    false,
                    Some(crate::suite::error_chain(&e)),
                    None,
                ),
            };
        let paths = match (&message, outcome) {
            (Some(message), Outcome::Rejected) => crate::report::field_paths(message),
            _ => Vec::new(),
        };
        Finding {
            file: manifest.file.clone(),
            line: manifest.line,
            source: manifest.source.clone(),
            api_version: manifest.api_version().to_owned(),
            kind: manifest.kind().to_owned(),
            namespace: request
                .get("namespace")
                .and_then(Value::as_str)
                .map(str::to_owned),
            name: manifest.name().map(str::to_owned),
            policy: policy.id.clone(),
            outcome,
            allowed,
            message,
            code,
            controls: policy.controls.clone(),
            severity: policy.severity,
            mode: policy.mode,
            paths,
        }
    };

    let total = jobs.len();
    let done = AtomicUsize::new(0);
    let tick = || {
        let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(progress) = &options.progress {
            (progress.0)(finished, total);
        }
    };
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    }
    .min(jobs.len())
    .max(1);
    let findings: Vec<Finding> = if threads == 1 {
        jobs.iter()
            .copied()
            .map(|job| {
                let finding = evaluate(job);
                tick();
                finding
            })
            .collect()
    } else {
        let next = AtomicUsize::new(0);
        let mut done: Vec<(usize, Finding)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let index = next.fetch_add(1, Ordering::Relaxed);
                            let Some(job) = jobs.get(index) else {
                                break;
                            };
                            mine.push((index, evaluate(*job)));
                            tick();
                        }
                        mine
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|worker| match worker.join() {
                    Ok(mine) => mine,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        });
        done.sort_by_key(|(index, _)| *index);
        done.into_iter().map(|(_, finding)| finding).collect()
    };
    ScanReport {
        objects: manifests.objects.len(),
        policies: policies.iter().map(PolicyInfo::of).collect(),
        findings,
        input_errors,
        warnings,
        fail_on: options.fail_on,
    }
}
