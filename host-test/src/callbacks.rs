//! Host capabilities (`__host_call` with binding `kubewarden`) answered from a cluster
//! fixture, with policy-server's gating: the host-capability allow-list for every namespace
//! but `tracing`, the context-aware allow-list for the Kubernetes list/get calls, and the
//! exact error strings policy-server gives the guest.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::fixture::{ClusterFixture, SigstoreImage, SigstoreSignature, json_contains};
use crate::log::{LogSink, LogSource};

/// A Kubernetes resource type a policy may read (`contextAwareResources`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextAwareResource {
    /// `v1`, `apps/v1`, …
    pub api_version: String,
    /// `Namespace`, `Deployment`, …
    pub kind: String,
}

/// Everything a host call is answered from: the policy's grants and the fixture.
#[derive(Debug, Clone)]
pub struct HostContext {
    /// Policy id used in log lines.
    pub policy_id: String,
    /// Host-capability allow-list (`*`, `oci/*`, `oci/v1/*`, or exact paths).
    pub host_capabilities: Vec<String>,
    /// Kubernetes resources the policy may list or get.
    pub context_aware_resources: BTreeSet<ContextAwareResource>,
    /// The cluster the calls are answered from.
    pub cluster: Arc<ClusterFixture>,
    /// Index in `cluster.objects` of an object the Kubernetes calls do not see (the object
    /// being created, when a scan uses the scanned objects as the cluster).
    pub hidden_object: Option<usize>,
}

impl Default for HostContext {
    fn default() -> Self {
        HostContext {
            policy_id: String::new(),
            host_capabilities: vec!["*".to_owned()],
            context_aware_resources: BTreeSet::new(),
            cluster: Arc::new(ClusterFixture::empty()),
            hidden_object: None,
        }
    }
}

impl HostContext {
    /// Whether the allow-list grants `path` (`<namespace>/<operation>`).
    pub fn can_access_capability(&self, path: &str) -> bool {
        self.host_capabilities
            .iter()
            .any(|pattern| capability_matches(pattern, path))
    }

    /// Whether the context-aware allow-list grants `api_version`/`kind`.
    pub fn can_access_kubernetes(&self, api_version: &str, kind: &str) -> bool {
        self.context_aware_resources
            .contains(&ContextAwareResource {
                api_version: api_version.to_owned(),
                kind: kind.to_owned(),
            })
    }
}

/// Whether a host-capability pattern grants `path`: `*` grants everything, `a/*` and
/// `a/b/*` grant everything below that prefix, anything else must match exactly.
pub fn capability_matches(pattern: &str, path: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.strip_suffix('*') {
        Some(prefix) if prefix.ends_with('/') => path.starts_with(prefix),
        _ => pattern == path,
    }
}

/// The error policy-server gives every Kubernetes lookup when it runs without a cluster
/// (started with `--ignore-kubernetes-connection-failure` and no reachable API server): it has
/// no Kubernetes client, and each `kubernetes/*` host call fails with this text (measured with
/// policy-server 1.36.0-beta.1).
pub const NO_CLUSTER_MESSAGE: &str = "kube::Client was not initialized properly";

/// The Kubernetes operations a policy can call.
const KUBERNETES_OPERATIONS: &[&str] = &[
    "list_resources_by_namespace",
    "list_resources_all",
    "get_resource",
    "can_i",
];

/// `fixture` (or an empty cluster) as policy-server without a cluster answers it: every
/// Kubernetes lookup that passes the policy's grants fails with [`NO_CLUSTER_MESSAGE`]; the
/// other capabilities (OCI, sigstore) keep the fixture's answers.
pub fn without_cluster(fixture: Option<&ClusterFixture>) -> ClusterFixture {
    let mut cluster = fixture.cloned().unwrap_or_default();
    let failing = KUBERNETES_OPERATIONS
        .iter()
        .map(|operation| crate::fixture::FailureEntry {
            namespace: "kubernetes".to_owned(),
            operation: (*operation).to_owned(),
            message: NO_CLUSTER_MESSAGE.to_owned(),
            request: None,
        });
    cluster.failures.splice(0..0, failing);
    cluster
}

const KNOWN: &[(&str, &[&str])] = &[
    ("tracing", &["log"]),
    (
        "oci",
        &[
            "v1/verify",
            "v2/verify",
            "v1/manifest_digest",
            "v1/oci_manifest",
            "v1/oci_manifest_config",
        ],
    ),
    ("net", &["v1/dns_lookup_host"]),
    ("crypto", &["v1/is_certificate_trusted"]),
    ("kubernetes", KUBERNETES_OPERATIONS),
];

/// Answers one `kubewarden` host call outside a guest, exactly as a module's call would be
/// answered under `context` (gating and fixture included); guest log lines are dropped. Used to
/// run the same rules natively against the same fixtures (the playground's conformance test).
///
/// # Errors
/// The host error text the guest would receive.
pub fn answer(
    context: &HostContext,
    namespace: &str,
    operation: &str,
    payload: &[u8],
) -> Result<Vec<u8>, String> {
    let mut log = LogSink::default();
    dispatch(
        context,
        &mut log,
        "kubewarden",
        namespace,
        operation,
        payload,
    )
}

/// Answers one host call. `Ok` bytes become the host response, `Err` the host error.
pub(crate) fn dispatch(
    context: &HostContext,
    log: &mut LogSink,
    binding: &str,
    namespace: &str,
    operation: &str,
    payload: &[u8],
) -> Result<Vec<u8>, String> {
    if binding != "kubewarden" {
        return Err(format!("unknown binding: {binding}"));
    }
    if namespace != "tracing" {
        let path = format!("{namespace}/{operation}");
        if !context.can_access_capability(&path) {
            return Err(format!(
                "Policy has not been granted access to the '{path}' host capability. The violation has been reported."
            ));
        }
    }
    let Some((_, operations)) = KNOWN.iter().find(|(ns, _)| *ns == namespace) else {
        return Err(format!("unknown namespace: {namespace}"));
    };
    if !operations.contains(&operation) {
        return Err(format!("unknown operation: {operation}"));
    }
    if namespace == "tracing" {
        trace(log, payload);
        return Ok(Vec::new());
    }
    let request: Value = serde_json::from_slice(payload).map_err(|e| e.to_string())?;

    if namespace == "kubernetes" && operation != "can_i" {
        let api_version = request.get("api_version").and_then(Value::as_str);
        let kind = request.get("kind").and_then(Value::as_str);
        if let (Some(api_version), Some(kind)) = (api_version, kind)
            && !context.can_access_kubernetes(api_version, kind)
        {
            return Err(format!(
                "Policy has not been granted access to Kubernetes {api_version}/{kind} resources. The violation has been reported."
            ));
        }
    }

    handle(context, namespace, operation, payload, &request)
        .map_err(|e| format!("{CALLBACK_FAILURE}{e}"))
}

/// What policy-evaluator puts before every error of its callback handler (the lookups and
/// verifications themselves, after the grants are checked): `Callback evaluation failure:
/// {e:?}` in its waPC host callback (policy-evaluator 1.36 `runtimes/wapc/callback.rs`).
pub const CALLBACK_FAILURE: &str = "Callback evaluation failure: ";

/// The callback handler's part of a host call: answers from the fixture.
fn handle(
    context: &HostContext,
    namespace: &str,
    operation: &str,
    payload: &[u8],
    request: &Value,
) -> Result<Vec<u8>, String> {
    let cluster = &context.cluster;
    if let Some(failure) = cluster.failures.iter().find(|f| {
        f.namespace == namespace
            && f.operation == operation
            && f.request.as_ref().is_none_or(|r| json_contains(request, r))
    }) {
        return Err(failure.message.clone());
    }
    if let Some(answer) = cluster.answers.iter().find(|a| {
        a.namespace == namespace
            && a.operation == operation
            && a.request.as_ref().is_none_or(|r| json_contains(request, r))
    }) {
        return serde_json::to_vec(&answer.response).map_err(|e| e.to_string());
    }

    let answer = match (namespace, operation) {
        ("kubernetes", "list_resources_by_namespace") => {
            list(cluster, payload, true, context.hidden_object)
        }
        ("kubernetes", "list_resources_all") => {
            list(cluster, payload, false, context.hidden_object)
        }
        ("kubernetes", "get_resource") => get(cluster, payload, context.hidden_object),
        ("kubernetes", "can_i") => can_i(cluster, payload),
        ("oci", "v1/manifest_digest") => manifest_digest(cluster, request),
        ("oci", "v1/verify") | ("oci", "v2/verify") => verify(cluster, operation, request),
        _ => Err(format!(
            "the cluster fixture has no answer for {namespace}/{operation} (add one under 'answers' of the HostTestFixture document)"
        )),
    }?;
    serde_json::to_vec(&answer).map_err(|e| e.to_string())
}

fn trace(log: &mut LogSink, payload: &[u8]) {
    match serde_json::from_slice::<serde_json::Map<String, Value>>(payload) {
        Ok(mut event) => {
            let level = event
                .remove("level")
                .and_then(|l| l.as_str().map(str::to_owned));
            let message = event
                .remove("message")
                .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_owned))
                .unwrap_or_default();
            for noise in ["file", "line", "column"] {
                event.remove(noise);
            }
            let text = if event.is_empty() {
                message
            } else {
                format!("{message} {}", Value::Object(event))
            };
            log.push(LogSource::Tracing, level, text);
        }
        Err(e) => log.push(
            LogSource::Harness,
            None,
            format!(
                "cannot read tracing/log payload ({e}): {}",
                String::from_utf8_lossy(payload)
            ),
        ),
    }
}

#[derive(Deserialize)]
struct ListRequest {
    api_version: String,
    kind: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    label_selector: Option<String>,
    #[serde(default)]
    field_selector: Option<String>,
}

fn list(
    cluster: &ClusterFixture,
    payload: &[u8],
    by_namespace: bool,
    hidden: Option<usize>,
) -> Result<Value, String> {
    let request: ListRequest = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    let namespace = if by_namespace {
        let Some(namespace) = request.namespace.as_deref() else {
            return Err("missing field `namespace`".to_owned());
        };
        if cluster.is_cluster_scoped(&request.kind) {
            return Err(format!(
                "resource {}/{} is cluster wide. Cannot search for it inside of a namespace",
                request.api_version, request.kind
            ));
        }
        Some(namespace)
    } else {
        None
    };
    let items = cluster.list_hiding(
        &request.api_version,
        &request.kind,
        namespace,
        request.label_selector.as_deref(),
        request.field_selector.as_deref(),
        hidden,
    )?;
    Ok(json!({
        "apiVersion": request.api_version,
        "kind": format!("{}List", request.kind),
        "metadata": {},
        "items": items,
    }))
}

#[derive(Deserialize)]
struct GetRequest {
    api_version: String,
    kind: String,
    name: String,
    #[serde(default)]
    namespace: Option<String>,
}

fn get(cluster: &ClusterFixture, payload: &[u8], hidden: Option<usize>) -> Result<Value, String> {
    let request: GetRequest = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    let namespaced = !cluster.is_cluster_scoped(&request.kind);
    if namespaced && request.namespace.is_none() {
        return Err(format!(
            "Resource {}/{} is namespaced, but no namespace was provided",
            request.api_version, request.kind
        ));
    }
    let namespace = if namespaced {
        request.namespace.as_deref()
    } else {
        None
    };
    cluster
        .get_hiding(
            &request.api_version,
            &request.kind,
            &request.name,
            namespace,
            hidden,
        )
        .cloned()
        .ok_or_else(|| {
            format!(
                "Cannot find {}/{} named '{}' inside of namespace '{:?}'",
                request.api_version,
                request.kind,
                request.name,
                request.namespace.as_deref()
            )
        })
}

#[derive(Deserialize)]
struct CanIRequest {
    subject_access_review: SubjectAccessReview,
}

#[derive(Deserialize)]
struct SubjectAccessReview {
    #[serde(default)]
    groups: Option<Vec<String>>,
    resource_attributes: ResourceAttributes,
    #[serde(default)]
    user: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResourceAttributes {
    group: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    resource: Option<String>,
    subresource: Option<String>,
    verb: Option<String>,
}

fn can_i(cluster: &ClusterFixture, payload: &[u8]) -> Result<Value, String> {
    let request: CanIRequest = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    let review = request.subject_access_review;
    let attrs = &review.resource_attributes;
    let groups = review.groups.unwrap_or_default();
    let optional = |entry: &Option<String>, actual: &Option<String>| {
        entry
            .as_ref()
            .is_none_or(|e| e == "*" || Some(e) == actual.as_ref())
    };
    let wildcard =
        |entry: &str, actual: &Option<String>| entry == "*" || Some(entry) == actual.as_deref();
    let entry = cluster.can_i.iter().find(|e| {
        e.user.as_ref().is_none_or(|u| *u == review.user)
            && e.groups.iter().all(|g| groups.contains(g))
            && wildcard(&e.verb, &attrs.verb)
            && wildcard(&e.resource, &attrs.resource)
            && optional(&e.group, &attrs.group)
            && optional(&e.subresource, &attrs.subresource)
            && optional(&e.namespace, &attrs.namespace)
            && optional(&e.name, &attrs.name)
    });
    Ok(match entry {
        Some(entry) => {
            let mut status = json!({"allowed": entry.allowed});
            if let Some(reason) = &entry.reason {
                status["reason"] = Value::String(reason.clone());
            }
            status
        }
        None => json!({"allowed": false}),
    })
}

fn manifest_digest(cluster: &ClusterFixture, request: &Value) -> Result<Value, String> {
    let Some(image) = request.as_str() else {
        return Err("invalid type: expected a string image reference".to_owned());
    };
    cluster
        .oci_manifest_digests
        .get(image)
        .map(|digest| json!({"digest": digest}))
        .ok_or_else(|| {
            format!("cannot fetch manifest digest of '{image}': not in the cluster fixture's ociManifestDigests")
        })
}

/// A verification request, whichever of the two wire forms it came in.
struct VerifyRequest<'a> {
    kind: String,
    body: &'a serde_json::Map<String, Value>,
}

fn verify_request<'a>(operation: &str, request: &'a Value) -> Result<VerifyRequest<'a>, String> {
    let Some(object) = request.as_object() else {
        return Err("invalid type: expected a verification request object".to_owned());
    };
    if operation == "v2/verify" {
        let kind = object
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| "missing field `type`".to_owned())?;
        Ok(VerifyRequest {
            kind: kind.to_owned(),
            body: object,
        })
    } else {
        match object.iter().next() {
            Some((kind, Value::Object(body))) if object.len() == 1 => Ok(VerifyRequest {
                kind: kind.clone(),
                body,
            }),
            _ => Err("expected an externally tagged verification request".to_owned()),
        }
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn bytes_or_string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            let bytes: Option<Vec<u8>> = items
                .iter()
                .map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect();
            bytes.map(|b| String::from_utf8_lossy(&b).into_owned())
        }
        _ => None,
    }
}

fn verify(cluster: &ClusterFixture, operation: &str, request: &Value) -> Result<Value, String> {
    let request = verify_request(operation, request)?;
    let body = request.body;
    let image = body
        .get("image")
        .and_then(Value::as_str)
        .ok_or_else(|| "missing field `image`".to_owned())?;
    let annotations: BTreeMap<String, String> = body
        .get("annotations")
        .and_then(Value::as_object)
        .map(|a| {
            a.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let Some(entry) = cluster.sigstore.iter().find(|e| e.image == image) else {
        return Err(format!("no signatures found for image: {image}"));
    };
    let signed = |pred: &dyn Fn(&SigstoreSignature) -> bool| {
        entry.signatures.iter().any(|s| {
            pred(s)
                && annotations
                    .iter()
                    .all(|(k, v)| s.annotations.get(k) == Some(v))
        })
    };
    let unsatisfied: Vec<String> = match request.kind.as_str() {
        "SigstorePubKeyVerify" => {
            let keys = strings(body.get("pub_keys"));
            if keys.is_empty() {
                return Err("Must provide at least one pub key".to_owned());
            }
            keys.into_iter()
                .filter(|k| !signed(&|s| s.pub_key.as_deref().map(str::trim) == Some(k.trim())))
                .map(|k| format!("public key {}", first_line(&k)))
                .collect()
        }
        "SigstoreKeylessVerify" => {
            let keyless = pairs(body.get("keyless"), "issuer", "subject");
            if keyless.is_empty() {
                return Err("Must provide keyless info".to_owned());
            }
            keyless
                .into_iter()
                .filter(|(issuer, subject)| {
                    !signed(&|s| {
                        s.issuer.as_deref() == Some(issuer) && s.subject.as_deref() == Some(subject)
                    })
                })
                .map(|(issuer, subject)| format!("keyless issuer {issuer} subject {subject}"))
                .collect()
        }
        "SigstoreKeylessPrefixVerify" => {
            let prefixes = pairs(body.get("keyless_prefix"), "issuer", "url_prefix");
            if prefixes.is_empty() {
                return Err("Must provide keyless info".to_owned());
            }
            prefixes
                .into_iter()
                .filter(|(issuer, prefix)| {
                    !signed(&|s| {
                        s.issuer.as_deref() == Some(issuer)
                            && s.subject
                                .as_deref()
                                .is_some_and(|sub| sub.starts_with(prefix.as_str()))
                    })
                })
                .map(|(issuer, prefix)| format!("keyless issuer {issuer} subject prefix {prefix}"))
                .collect()
        }
        "SigstoreGithubActionsVerify" => {
            let owner = body.get("owner").and_then(Value::as_str).unwrap_or("");
            if owner.is_empty() {
                return Err("Must provide owner info".to_owned());
            }
            let repo = body.get("repo").and_then(Value::as_str);
            if signed(&|s| {
                s.github_owner.as_deref() == Some(owner)
                    && repo.is_none_or(|r| s.github_repo.as_deref() == Some(r))
            }) {
                Vec::new()
            } else {
                vec![format!(
                    "github actions owner {owner} repo {}",
                    repo.unwrap_or("*")
                )]
            }
        }
        "SigstoreCertificateVerify" => {
            let Some(certificate) = bytes_or_string(body.get("certificate")) else {
                return Err("missing field `certificate`".to_owned());
            };
            if signed(&|s| s.certificate.as_deref().map(str::trim) == Some(certificate.trim())) {
                Vec::new()
            } else {
                vec![format!("certificate {}", first_line(&certificate))]
            }
        }
        other => return Err(format!("unknown variant `{other}`")),
    };
    if unsatisfied.is_empty() {
        Ok(json!({"is_trusted": true, "digest": entry.digest}))
    } else {
        Err(missing_signatures(entry, &unsatisfied))
    }
}

fn missing_signatures(entry: &SigstoreImage, unsatisfied: &[String]) -> String {
    format!(
        "Image verification failed: missing signatures for {}: {}",
        entry.image,
        unsatisfied.join(", ")
    )
}

fn first_line(text: &str) -> String {
    text.trim()
        .lines()
        .find(|l| !l.starts_with("-----"))
        .unwrap_or("")
        .chars()
        .take(24)
        .collect()
}

fn pairs(value: Option<&Value>, a: &str, b: &str) -> Vec<(String, String)> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    Some((
                        item.get(a)?.as_str()?.to_owned(),
                        item.get(b)?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}
