//! Cluster fixtures: the Kubernetes objects that "already exist" for context-aware policies,
//! plus a `HostTestFixture` document with canned answers for the other host capabilities
//! (SubjectAccessReviews, OCI manifest digests, Sigstore signatures, arbitrary answers and
//! injected failures), and the label/field selector matching the list calls need.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// The `kind` of the special fixture document.
pub const FIXTURE_KIND: &str = "HostTestFixture";

/// Why a fixture could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixtureError {
    /// The file could not be read.
    #[error("cannot read cluster fixture {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A YAML document could not be parsed.
    #[error("cannot parse document {index} of cluster fixture {origin}")]
    Parse {
        /// The file (or `<inline>`).
        origin: String,
        /// Position of the document (1-based).
        index: usize,
        /// The parser error.
        #[source]
        source: serde_yaml::Error,
    },
    /// A document is not a usable Kubernetes object or fixture document.
    #[error("document {index} of cluster fixture {origin}: {problem}")]
    Invalid {
        /// The file (or `<inline>`).
        origin: String,
        /// Position of the document (1-based).
        index: usize,
        /// What is wrong.
        problem: String,
    },
    /// The `HostTestFixture` document has the wrong shape.
    #[error("the HostTestFixture document of cluster fixture {origin} is invalid")]
    Special {
        /// The file (or `<inline>`).
        origin: String,
        /// The deserialisation error.
        #[source]
        source: serde_json::Error,
    },
}

/// One canned answer for `kubernetes/can_i`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CanIEntry {
    /// User the review is for; any user when absent.
    #[serde(default)]
    pub user: Option<String>,
    /// Groups that must all be in the review's groups (none required when absent or empty).
    #[serde(default)]
    pub groups: Vec<String>,
    /// The verb (`get`, `create`, …); `*` matches any.
    pub verb: String,
    /// The resource (`secrets`, …); `*` matches any.
    pub resource: String,
    /// API group; any when absent.
    #[serde(default)]
    pub group: Option<String>,
    /// Subresource; any when absent.
    #[serde(default)]
    pub subresource: Option<String>,
    /// Namespace; any when absent.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Object name; any when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// The answer.
    pub allowed: bool,
    /// Optional `reason` in the answer.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A host call that answers with an error.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FailureEntry {
    /// Capability namespace (`kubernetes`, `oci`, …).
    pub namespace: String,
    /// Operation (`get_resource`, `v1/manifest_digest`, …).
    pub operation: String,
    /// The error string the guest receives.
    pub message: String,
    /// When given, only calls whose JSON payload contains this (as a subset) fail.
    #[serde(default)]
    pub request: Option<Value>,
}

/// A canned answer for any host call (for capabilities without a dedicated fixture shape,
/// such as `net/v1/dns_lookup_host` or `crypto/v1/is_certificate_trusted`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnswerEntry {
    /// Capability namespace.
    pub namespace: String,
    /// Operation.
    pub operation: String,
    /// When given, only calls whose JSON payload contains this (as a subset) match.
    #[serde(default)]
    pub request: Option<Value>,
    /// The JSON answer.
    pub response: Value,
}

/// One signature that exists for an image, for the `oci/*/verify` capabilities.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SigstoreSignature {
    /// Signed with this public key (PEM).
    #[serde(default)]
    pub pub_key: Option<String>,
    /// Keyless signature: OIDC issuer.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Keyless signature: certificate subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// GitHub Actions signature: repository owner.
    #[serde(default)]
    pub github_owner: Option<String>,
    /// GitHub Actions signature: repository name.
    #[serde(default)]
    pub github_repo: Option<String>,
    /// Signed with a key certified by this certificate (PEM).
    #[serde(default)]
    pub certificate: Option<String>,
    /// Annotations carried by the signature.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// The signatures of one image.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SigstoreImage {
    /// The image reference exactly as the policy asks for it (tag or digest form).
    pub image: String,
    /// The digest a successful verification returns.
    pub digest: String,
    /// The signatures that verify.
    #[serde(default)]
    pub signatures: Vec<SigstoreSignature>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SpecialDocument {
    #[serde(rename = "apiVersion", default)]
    _api_version: Option<String>,
    #[serde(rename = "kind", default)]
    _kind: Option<String>,
    #[serde(default)]
    can_i: Vec<CanIEntry>,
    #[serde(default)]
    oci_manifest_digests: BTreeMap<String, String>,
    #[serde(default)]
    failures: Vec<FailureEntry>,
    #[serde(default)]
    answers: Vec<AnswerEntry>,
    #[serde(default)]
    sigstore: Vec<SigstoreImage>,
    #[serde(default)]
    cluster_scoped_kinds: Vec<String>,
}

/// Kinds that are not namespaced (the common built-in ones plus Kubewarden's own); a fixture
/// can add more with `clusterScopedKinds`.
const CLUSTER_SCOPED_KINDS: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterAdmissionPolicy",
    "ClusterAdmissionPolicyGroup",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PolicyServer",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// The namespaces every Kubernetes cluster has from its start.
pub const BUILTIN_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

/// What the harness answers host capability calls from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterFixture {
    /// The Kubernetes objects, in file order.
    pub objects: Vec<Value>,
    /// Answers for `kubernetes/can_i`, first match wins.
    pub can_i: Vec<CanIEntry>,
    /// Answers for `oci/v1/manifest_digest`, keyed by the image reference as asked.
    pub oci_manifest_digests: BTreeMap<String, String>,
    /// Calls that answer with an error.
    pub failures: Vec<FailureEntry>,
    /// Canned answers for any call.
    pub answers: Vec<AnswerEntry>,
    /// Signatures for `oci/v1/verify` and `oci/v2/verify`.
    pub sigstore: Vec<SigstoreImage>,
    /// Extra cluster-scoped kinds.
    pub cluster_scoped_kinds: BTreeSet<String>,
}

impl ClusterFixture {
    /// An empty cluster: no objects, no canned answers.
    pub fn empty() -> Self {
        ClusterFixture::default()
    }

    /// Reads a fixture file.
    ///
    /// # Errors
    /// When the file cannot be read or a document is invalid.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, FixtureError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses fixture text (multi-document YAML or JSON).
    ///
    /// # Errors
    /// When a document is invalid.
    pub fn parse(text: &str, origin: &str) -> Result<Self, FixtureError> {
        let mut fixture = ClusterFixture::default();
        for (i, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
            let index = i + 1;
            let value = Value::deserialize(document).map_err(|source| FixtureError::Parse {
                origin: origin.to_owned(),
                index,
                source,
            })?;
            fixture.add_document(value, origin, index)?;
        }
        Ok(fixture)
    }

    fn add_document(
        &mut self,
        value: Value,
        origin: &str,
        index: usize,
    ) -> Result<(), FixtureError> {
        let invalid = |problem: String| FixtureError::Invalid {
            origin: origin.to_owned(),
            index,
            problem,
        };
        let object = match value {
            Value::Null => return Ok(()),
            Value::Object(map) => map,
            other => {
                return Err(invalid(format!(
                    "expected a mapping, found {}",
                    type_name(&other)
                )));
            }
        };
        match object.get("kind").and_then(Value::as_str) {
            Some(FIXTURE_KIND) => {
                let special: SpecialDocument = serde_json::from_value(Value::Object(object))
                    .map_err(|source| FixtureError::Special {
                        origin: origin.to_owned(),
                        source,
                    })?;
                self.can_i.extend(special.can_i);
                self.oci_manifest_digests
                    .extend(special.oci_manifest_digests);
                self.failures.extend(special.failures);
                self.answers.extend(special.answers);
                self.sigstore.extend(special.sigstore);
                self.cluster_scoped_kinds
                    .extend(special.cluster_scoped_kinds);
                Ok(())
            }
            Some(kind)
                if kind == "List" || kind.ends_with("List") && object.contains_key("items") =>
            {
                let items = match object.get("items") {
                    Some(Value::Array(items)) => items.clone(),
                    Some(Value::Null) | None => Vec::new(),
                    Some(other) => {
                        return Err(invalid(format!(
                            "'items' of a {kind} must be a list, found {}",
                            type_name(other)
                        )));
                    }
                };
                for item in items {
                    self.add_object(item).map_err(&invalid)?;
                }
                Ok(())
            }
            _ => self.add_object(Value::Object(object)).map_err(invalid),
        }
    }

    fn add_object(&mut self, object: Value) -> Result<(), String> {
        let api_version = object.get("apiVersion").and_then(Value::as_str);
        let kind = object.get("kind").and_then(Value::as_str);
        let name = object.pointer("/metadata/name").and_then(Value::as_str);
        match (api_version, kind, name) {
            (Some(_), Some(_), Some(_)) => {
                self.objects.push(object);
                Ok(())
            }
            (None, _, _) => Err("object has no string 'apiVersion'".to_owned()),
            (_, None, _) => Err("object has no string 'kind'".to_owned()),
            (_, _, None) => Err("object has no string 'metadata.name'".to_owned()),
        }
    }

    /// Whether objects of `kind` are cluster-scoped.
    pub fn is_cluster_scoped(&self, kind: &str) -> bool {
        CLUSTER_SCOPED_KINDS.contains(&kind) || self.cluster_scoped_kinds.contains(kind)
    }

    /// This fixture plus the namespaces every cluster has (`default`, `kube-system`,
    /// `kube-public`, `kube-node-lease`, labelled `kubernetes.io/metadata.name` as the API
    /// server labels every namespace), unless it holds a Namespace of that name already.
    pub fn with_builtin_namespaces(&self) -> ClusterFixture {
        self.with_namespaces(BUILTIN_NAMESPACES.iter().copied())
    }

    /// This cluster plus a Namespace object for each of `names` it does not hold, labelled
    /// only `kubernetes.io/metadata.name` (the label the API server sets on every namespace).
    pub fn with_namespaces<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> ClusterFixture {
        let mut out = self.clone();
        for name in names {
            let present = out.objects.iter().any(|o| {
                o.get("kind").and_then(Value::as_str) == Some("Namespace")
                    && object_name(o) == Some(name)
            });
            if !present {
                out.objects.push(serde_json::json!({
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {
                        "name": name,
                        "labels": {"kubernetes.io/metadata.name": name},
                    },
                }));
            }
        }
        out
    }

    /// Objects of `api_version`/`kind`, in `namespace` when given, matching the selectors,
    /// sorted by namespace then name.
    ///
    /// # Errors
    /// When a selector cannot be parsed or uses an unsupported field.
    pub fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        label_selector: Option<&str>,
        field_selector: Option<&str>,
    ) -> Result<Vec<Value>, String> {
        self.list_hiding(
            api_version,
            kind,
            namespace,
            label_selector,
            field_selector,
            None,
        )
    }

    /// [`ClusterFixture::list`] as if the object at index `hidden` of
    /// [`ClusterFixture::objects`] did not exist.
    ///
    /// # Errors
    /// When a selector cannot be parsed or uses an unsupported field.
    pub fn list_hiding(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        label_selector: Option<&str>,
        field_selector: Option<&str>,
        hidden: Option<usize>,
    ) -> Result<Vec<Value>, String> {
        let labels = match label_selector {
            Some(text) => LabelSelector::parse(text)?,
            None => LabelSelector::default(),
        };
        let fields = match field_selector {
            Some(text) => FieldSelector::parse(text)?,
            None => FieldSelector::default(),
        };
        let mut found: Vec<&Value> = self
            .objects
            .iter()
            .enumerate()
            .filter(|(index, _)| Some(*index) != hidden)
            .map(|(_, object)| object)
            .filter(|o| o.get("apiVersion").and_then(Value::as_str) == Some(api_version))
            .filter(|o| o.get("kind").and_then(Value::as_str) == Some(kind))
            .filter(|o| namespace.is_none_or(|ns| object_namespace(o) == Some(ns)))
            .filter(|o| labels.matches(&object_labels(o)))
            .filter(|o| fields.matches(o))
            .collect();
        found.sort_by(|a, b| {
            (object_namespace(a), object_name(a)).cmp(&(object_namespace(b), object_name(b)))
        });
        Ok(found.into_iter().cloned().collect())
    }

    /// The object of `api_version`/`kind` named `name` (in `namespace` when given).
    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        name: &str,
        namespace: Option<&str>,
    ) -> Option<&Value> {
        self.get_hiding(api_version, kind, name, namespace, None)
    }

    /// [`ClusterFixture::get`] as if the object at index `hidden` of
    /// [`ClusterFixture::objects`] did not exist.
    pub fn get_hiding(
        &self,
        api_version: &str,
        kind: &str,
        name: &str,
        namespace: Option<&str>,
        hidden: Option<usize>,
    ) -> Option<&Value> {
        self.objects.iter().enumerate().find_map(|(index, o)| {
            (Some(index) != hidden
                && o.get("apiVersion").and_then(Value::as_str) == Some(api_version)
                && o.get("kind").and_then(Value::as_str) == Some(kind)
                && object_name(o) == Some(name)
                && (namespace.is_none() || object_namespace(o) == namespace))
                .then_some(o)
        })
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn object_name(object: &Value) -> Option<&str> {
    object.pointer("/metadata/name").and_then(Value::as_str)
}

fn object_namespace(object: &Value) -> Option<&str> {
    object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
}

fn object_labels(object: &Value) -> BTreeMap<String, String> {
    object
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|labels| {
            labels
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `subset` is contained in `value`: every key of an object subset must be present
/// with a contained value; other values must be equal.
pub fn json_contains(value: &Value, subset: &Value) -> bool {
    match (value, subset) {
        (Value::Object(value), Value::Object(subset)) => subset
            .iter()
            .all(|(k, s)| value.get(k).is_some_and(|v| json_contains(v, s))),
        _ => value == subset,
    }
}

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    NotExists(String),
    In(String, BTreeSet<String>),
    NotIn(String, BTreeSet<String>),
}

/// A Kubernetes label selector in its string form: `k=v`, `k==v`, `k!=v`, `k`, `!k`,
/// `k in (a,b)`, `k notin (a,b)`, joined by commas (all must hold).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// Parses the string form.
    ///
    /// # Errors
    /// With a message naming the requirement that cannot be parsed.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            requirements.push(parse_requirement(part).ok_or_else(|| {
                format!("cannot parse label selector requirement '{part}' in '{text}'")
            })?);
        }
        Ok(LabelSelector { requirements })
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::NotExists(k) => !labels.contains_key(k),
            Requirement::In(k, values) => labels.get(k).is_some_and(|v| values.contains(v)),
            Requirement::NotIn(k, values) => labels.get(k).is_none_or(|v| !values.contains(v)),
        })
    }
}

/// Splits on commas that are not inside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn valid_value(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn parse_set(text: &str) -> Option<BTreeSet<String>> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    let values: BTreeSet<String> = inner
        .split(',')
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if values.iter().all(|v| valid_value(v)) {
        Some(values)
    } else {
        None
    }
}

fn parse_requirement(part: &str) -> Option<Requirement> {
    if let Some(key) = part.strip_prefix('!') {
        let key = key.trim();
        return valid_key(key).then(|| Requirement::NotExists(key.to_owned()));
    }
    if let Some((key, value)) = part.split_once("!=") {
        let (key, value) = (key.trim(), value.trim());
        return (valid_key(key) && valid_value(value))
            .then(|| Requirement::NotEquals(key.to_owned(), value.to_owned()));
    }
    if let Some((key, value)) = part.split_once("==").or_else(|| part.split_once('=')) {
        let (key, value) = (key.trim(), value.trim());
        return (valid_key(key) && valid_value(value))
            .then(|| Requirement::Equals(key.to_owned(), value.to_owned()));
    }
    let mut words = part.splitn(2, char::is_whitespace);
    let key = words.next()?.trim();
    let rest = words.next().map(str::trim).unwrap_or("");
    if rest.is_empty() {
        return valid_key(key).then(|| Requirement::Exists(key.to_owned()));
    }
    if !valid_key(key) {
        return None;
    }
    if let Some(set) = rest.strip_prefix("notin") {
        return parse_set(set).map(|values| Requirement::NotIn(key.to_owned(), values));
    }
    if let Some(set) = rest.strip_prefix("in") {
        return parse_set(set).map(|values| Requirement::In(key.to_owned(), values));
    }
    None
}

/// A field selector limited to `metadata.name` and `metadata.namespace` (`=`, `==`, `!=`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    requirements: Vec<(String, bool, String)>,
}

impl FieldSelector {
    /// Parses the string form.
    ///
    /// # Errors
    /// When a requirement cannot be parsed or names a field other than `metadata.name` or
    /// `metadata.namespace`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (field, equal, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                (f, true, v)
            } else {
                return Err(format!(
                    "cannot parse field selector requirement '{part}' in '{text}'"
                ));
            };
            let field = field.trim();
            if field != "metadata.name" && field != "metadata.namespace" {
                return Err(format!(
                    "field selector on '{field}' is not supported by the harness (only metadata.name and metadata.namespace)"
                ));
            }
            requirements.push((field.to_owned(), equal, value.trim().to_owned()));
        }
        Ok(FieldSelector { requirements })
    }

    /// Whether `object` satisfies every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        self.requirements.iter().all(|(field, equal, value)| {
            let actual = if field == "metadata.name" {
                object_name(object)
            } else {
                object_namespace(object)
            }
            .unwrap_or("");
            (actual == value) == *equal
        })
    }
}
