//! Policy metadata: the `Metadata` document of `metadata.yml`, reading it back from the first
//! `io.kubewarden.metadata` custom section of a module, writing it the way `kwctl annotate`
//! does (validated, `protocolVersion` taken from the module itself, compact camelCase JSON in
//! a custom section that replaces any previous one), and matching admission requests against
//! its `rules` the way the API server routes them to a webhook.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::callbacks::ContextAwareResource;

/// Name of the custom section holding the metadata.
pub const METADATA_SECTION: &str = "io.kubewarden.metadata";

/// Annotation key `annotate -u README.md` fills.
pub const USAGE_ANNOTATION: &str = "io.kubewarden.policy.usage";

/// Why metadata could not be read, validated or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// The bytes are not a WebAssembly module.
    #[error("not a WebAssembly module: {0}")]
    NotWasm(String),
    /// The metadata section is not valid metadata JSON.
    #[error("the io.kubewarden.metadata section is not valid metadata")]
    SectionJson(#[source] serde_json::Error),
    /// `metadata.yml` could not be parsed.
    #[error("cannot parse metadata")]
    Yaml(#[source] serde_yaml::Error),
    /// The metadata breaks one of kwctl's rules.
    #[error("invalid metadata: {0}")]
    Invalid(String),
    /// The metadata could not be serialised.
    #[error("cannot serialise metadata")]
    Serialise(#[source] serde_json::Error),
}

/// An admission operation a rule can match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Operation {
    /// `CREATE`
    #[serde(rename = "CREATE")]
    Create,
    /// `UPDATE`
    #[serde(rename = "UPDATE")]
    Update,
    /// `DELETE`
    #[serde(rename = "DELETE")]
    Delete,
    /// `CONNECT`
    #[serde(rename = "CONNECT")]
    Connect,
    /// `*`: every operation.
    #[serde(rename = "*")]
    All,
}

impl Operation {
    fn matches(self, operation: &str) -> bool {
        match self {
            Operation::All => true,
            Operation::Create => operation == "CREATE",
            Operation::Update => operation == "UPDATE",
            Operation::Delete => operation == "DELETE",
            Operation::Connect => operation == "CONNECT",
        }
    }
}

/// A webhook rule (`rules[]` of `metadata.yml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// API groups (`""` is the core group, `*` all).
    pub api_groups: Vec<String>,
    /// API versions (`*` all).
    pub api_versions: Vec<String>,
    /// Resources, with Kubernetes' wildcard forms (`*`, `*/*`, `pods/*`, `*/scale`).
    pub resources: Vec<String>,
    /// Operations.
    pub operations: Vec<Operation>,
}

/// How the module is executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ExecutionMode {
    /// waPC (every Rust policy): the only mode this harness runs.
    #[default]
    #[serde(rename = "kubewarden-wapc")]
    KubewardenWapc,
    /// Rego, OPA flavour.
    #[serde(rename = "opa")]
    Opa,
    /// Rego, Gatekeeper flavour.
    #[serde(rename = "gatekeeper")]
    Gatekeeper,
    /// WASI command policies.
    #[serde(rename = "wasi")]
    Wasi,
}

impl fmt::Display for ExecutionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExecutionMode::KubewardenWapc => "kubewarden-wapc",
            ExecutionMode::Opa => "opa",
            ExecutionMode::Gatekeeper => "gatekeeper",
            ExecutionMode::Wasi => "wasi",
        })
    }
}

/// What the policy receives as `request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyType {
    /// An AdmissionRequest.
    #[default]
    Kubernetes,
    /// Free-form JSON.
    Raw,
}

fn default_true() -> bool {
    true
}

/// The policy metadata document, as kwctl and policy-server read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// Written by annotation from the module's own `protocol_version` answer (`v1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    /// Webhook rules.
    pub rules: Vec<Rule>,
    /// Free-form annotations (`io.kubewarden.policy.*`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Whether the policy mutates.
    pub mutating: bool,
    /// Whether the audit scanner evaluates existing objects.
    #[serde(default = "default_true")]
    pub background_audit: bool,
    /// Kubernetes resources the policy reads through host calls.
    #[serde(default)]
    pub context_aware_resources: Vec<ContextAwareResource>,
    /// How the module is executed.
    #[serde(default)]
    pub execution_mode: ExecutionMode,
    /// What the policy receives as `request`.
    #[serde(default)]
    pub policy_type: PolicyType,
    /// Oldest Kubewarden release that can run the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_kubewarden_version: Option<String>,
    /// Host capabilities the policy declares it uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_capabilities: Option<Vec<String>>,
}

impl Metadata {
    /// Parses a `metadata.yml` document.
    ///
    /// # Errors
    /// When the YAML does not describe metadata (missing `rules` or `mutating`, unknown
    /// operation, wrong types).
    pub fn from_yaml(text: &str) -> Result<Self, MetadataError> {
        serde_yaml::from_str(text).map_err(MetadataError::Yaml)
    }

    /// Checks kwctl's rules: at least one rule; every list of a rule non-empty; `*` alone in
    /// `apiGroups`, `apiVersions` and `operations`; `resources` following Kubernetes'
    /// wildcard rules.
    ///
    /// # Errors
    /// With a message naming the rule and the problem.
    pub fn validate(&self) -> Result<(), MetadataError> {
        if self.rules.is_empty() {
            return Err(MetadataError::Invalid(
                "'rules' must not be empty".to_owned(),
            ));
        }
        for (i, rule) in self.rules.iter().enumerate() {
            let at = |field: &str, problem: &str| {
                MetadataError::Invalid(format!("rules[{i}].{field}: {problem}"))
            };
            for (field, list) in [
                ("apiGroups", &rule.api_groups),
                ("apiVersions", &rule.api_versions),
                ("resources", &rule.resources),
            ] {
                if list.is_empty() {
                    return Err(at(field, "must not be empty"));
                }
            }
            for (field, list) in [
                ("apiGroups", &rule.api_groups),
                ("apiVersions", &rule.api_versions),
            ] {
                if list.len() > 1 && list.iter().any(|v| v == "*") {
                    return Err(at(
                        field,
                        "no other elements can be defined when '*' is used",
                    ));
                }
            }
            if rule.operations.is_empty() {
                return Err(at("operations", "must not be empty"));
            }
            if rule.operations.len() > 1 && rule.operations.contains(&Operation::All) {
                return Err(at(
                    "operations",
                    "no other elements can be defined when '*' is used",
                ));
            }
            validate_resources(&rule.resources).map_err(|problem| at("resources", &problem))?;
        }
        for resource in &self.context_aware_resources {
            if resource.api_version.is_empty() || resource.kind.is_empty() {
                return Err(MetadataError::Invalid(
                    "contextAwareResources entries need a non-empty apiVersion and kind".to_owned(),
                ));
            }
        }
        Ok(())
    }

    /// Whether a request for `group`/`version`/`resource` (with `subresource`, empty when
    /// none) and `operation` is routed to the policy by any of its rules.
    pub fn routes(
        &self,
        group: &str,
        version: &str,
        resource: &str,
        subresource: &str,
        operation: &str,
    ) -> bool {
        self.rules
            .iter()
            .any(|rule| rule.matches(group, version, resource, subresource, operation))
    }

    /// [`Metadata::routes`] for an AdmissionRequest (`resource`, `subResource`, `operation`).
    pub fn routes_request(&self, request: &Value) -> bool {
        let field = |pointer: &str| {
            request
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or("")
        };
        self.routes(
            field("/resource/group"),
            field("/resource/version"),
            field("/resource/resource"),
            field("/subResource"),
            field("/operation"),
        )
    }
}

impl Rule {
    /// Whether this rule matches, with the API server's semantics: `*` in groups, versions
    /// and operations matches anything; in resources `*` matches every resource but no
    /// subresource, `*/*` everything, `pods/*` pods and all its subresources, `*/scale` the
    /// scale subresource of every resource, and `pods/ephemeralcontainers` exactly that.
    pub fn matches(
        &self,
        group: &str,
        version: &str,
        resource: &str,
        subresource: &str,
        operation: &str,
    ) -> bool {
        let listed = |list: &[String], value: &str| list.iter().any(|v| v == "*" || v == value);
        listed(&self.api_groups, group)
            && listed(&self.api_versions, version)
            && self.operations.iter().any(|op| op.matches(operation))
            && self
                .resources
                .iter()
                .any(|pattern| resource_matches(pattern, resource, subresource))
    }
}

fn resource_matches(pattern: &str, resource: &str, subresource: &str) -> bool {
    // As the API server's webhook rule matcher: split at the first '/', then each half is
    // either '*' or must be equal; a missing subresource half is "" and so only matches
    // requests without a subresource.
    let (res, sub) = pattern.split_once('/').unwrap_or((pattern, ""));
    (res == "*" || res == resource) && (sub == "*" || sub == subresource)
}

/// Kubernetes' validation of a rule's `resources` (as kwctl transposes it).
fn validate_resources(resources: &[String]) -> Result<(), String> {
    let mut wildcard_sub_of: Vec<&str> = Vec::new(); // x/*
    let mut any_resource_sub: Vec<&str> = Vec::new(); // */x
    let mut has_double_wildcard = false;
    let mut has_single_wildcard = false;
    let mut has_plain_resource = false;
    for resource in resources {
        if resource.is_empty() {
            return Err("empty resource is not allowed".to_owned());
        }
        match resource.as_str() {
            "*/*" => has_double_wildcard = true,
            "*" => has_single_wildcard = true,
            _ => {}
        }
        let Some((res, sub)) = resource.split_once('/') else {
            if resource != "*" {
                has_plain_resource = true;
            }
            continue;
        };
        if wildcard_sub_of.contains(&res) {
            return Err(format!(
                "if '{res}/*' is present, must not specify {resource}"
            ));
        }
        if any_resource_sub.contains(&sub) {
            return Err(format!(
                "if '*/{sub}' is present, must not specify {resource}"
            ));
        }
        if sub == "*" {
            wildcard_sub_of.push(res);
        }
        if res == "*" {
            any_resource_sub.push(sub);
        }
    }
    if resources.len() > 1 && has_double_wildcard {
        return Err("if '*/*' is present, must not specify other resources".to_owned());
    }
    if has_single_wildcard && has_plain_resource {
        return Err(
            "if '*' is present, must not specify other resources without subresources".to_owned(),
        );
    }
    Ok(())
}

/// One section of a module: its whole byte range (header included) and, for a custom
/// section, its name.
struct Section {
    range: std::ops::Range<usize>,
    name: Option<String>,
}

/// The sections of a module, in order.
fn sections(wasm: &[u8]) -> Result<Vec<Section>, MetadataError> {
    const HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    if wasm.len() < 8 || wasm[..8] != HEADER {
        return Err(MetadataError::NotWasm(
            "missing the \\0asm version 1 header (components are not supported)".to_owned(),
        ));
    }
    let mut out = Vec::new();
    let mut pos = 8;
    while pos < wasm.len() {
        let start = pos;
        let id = wasm[pos];
        pos += 1;
        let (size, used) = read_leb_u32(&wasm[pos..])
            .ok_or_else(|| MetadataError::NotWasm(format!("bad section size at offset {pos}")))?;
        pos += used;
        let end = pos
            .checked_add(size as usize)
            .filter(|end| *end <= wasm.len())
            .ok_or_else(|| {
                MetadataError::NotWasm(format!("section at offset {start} runs past the end"))
            })?;
        let name = if id == 0 {
            let (len, used) = read_leb_u32(&wasm[pos..end]).ok_or_else(|| {
                MetadataError::NotWasm(format!("bad custom section name at offset {pos}"))
            })?;
            let name_start = pos + used;
            let name_end = name_start
                .checked_add(len as usize)
                .filter(|e| *e <= end)
                .ok_or_else(|| {
                    MetadataError::NotWasm(format!(
                        "custom section name at offset {pos} runs past its section"
                    ))
                })?;
            Some(String::from_utf8_lossy(&wasm[name_start..name_end]).into_owned())
        } else {
            None
        };
        out.push(Section {
            range: start..end,
            name,
        });
        pos = end;
    }
    Ok(out)
}

fn read_leb_u32(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut result: u64 = 0;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        result |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return u32::try_from(result).ok().map(|v| (v, i + 1));
        }
    }
    None
}

fn write_leb_u32(mut value: u32, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The raw bytes of the first `io.kubewarden.metadata` custom section, found by walking the
/// module with `wasmparser` as policy-server does.
///
/// # Errors
/// When the bytes are not a valid module.
pub fn read_metadata_section(wasm: &[u8]) -> Result<Option<Vec<u8>>, MetadataError> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| MetadataError::NotWasm(e.to_string()))?;
        if let wasmparser::Payload::CustomSection(reader) = payload
            && reader.name() == METADATA_SECTION
        {
            return Ok(Some(reader.data().to_vec()));
        }
    }
    Ok(None)
}

/// The metadata embedded in a module, if any.
///
/// # Errors
/// When the bytes are not a valid module or the section is not metadata JSON.
pub fn read_metadata(wasm: &[u8]) -> Result<Option<Metadata>, MetadataError> {
    match read_metadata_section(wasm)? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(MetadataError::SectionJson),
        None => Ok(None),
    }
}

/// `wasm` without any `io.kubewarden.metadata` custom section.
///
/// # Errors
/// When the bytes are not a module.
pub fn strip_metadata_sections(wasm: &[u8]) -> Result<Vec<u8>, MetadataError> {
    let mut out = Vec::with_capacity(wasm.len());
    out.extend_from_slice(&wasm[..8.min(wasm.len())]);
    for section in sections(wasm)? {
        if section.name.as_deref() != Some(METADATA_SECTION) {
            out.extend_from_slice(&wasm[section.range]);
        }
    }
    Ok(out)
}

/// `wasm` with every previous metadata section removed and one holding `contents` appended.
///
/// # Errors
/// When the bytes are not a module.
pub fn write_metadata_section(wasm: &[u8], contents: &[u8]) -> Result<Vec<u8>, MetadataError> {
    let mut out = strip_metadata_sections(wasm)?;
    let name = METADATA_SECTION.as_bytes();
    let mut body = Vec::with_capacity(contents.len() + name.len() + 5);
    write_leb_u32(name.len() as u32, &mut body);
    body.extend_from_slice(name);
    body.extend_from_slice(contents);
    let size = u32::try_from(body.len())
        .map_err(|_| MetadataError::Invalid("metadata larger than 4 GiB".to_owned()))?;
    out.push(0);
    write_leb_u32(size, &mut out);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Prepares metadata for embedding as `kwctl annotate` does: adds the README as
/// `io.kubewarden.policy.usage` when given, sets `protocolVersion`, validates, and serialises
/// to compact JSON.
///
/// # Errors
/// When the metadata is invalid.
pub fn prepare(
    mut metadata: Metadata,
    usage: Option<&str>,
    protocol_version: &str,
) -> Result<Vec<u8>, MetadataError> {
    if let Some(usage) = usage {
        metadata
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(USAGE_ANNOTATION.to_owned(), usage.to_owned());
    }
    metadata.protocol_version = Some(protocol_version.to_owned());
    metadata.validate()?;
    serde_json::to_vec(&metadata).map_err(MetadataError::Serialise)
}
