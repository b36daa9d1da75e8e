//! Host-call sessions in kwctl's replay format (`kwctl run
//! --replay-host-capabilities-interactions FILE`): the host calls one evaluation made, each
//! with the answer the cluster fixture gave, so that kwctl can replay them to the same module.
//!
//! kwctl parses every recorded request into policy-evaluator's `CallbackRequestType` and, at
//! each host call of the module, compares it with the request policy-evaluator parsed from the
//! module's payload: a module that sends a request policy-evaluator reads differently from
//! host-test makes the replay fail ("Replay error: unexpected request"), and the difference
//! shows in the verdict.
//!
//! The format (kwctl's `callback_handler/proxy.rs`, policy-evaluator's
//! `callback_requests.rs`, 1.36): a YAML list of
//! `{type: Exchange, request: <YAML text>, response: {type: Success, payload: <answer text>}
//! | {type: Error, message: <error text>}}`, where the request text is the serde_yaml form of
//! the externally tagged enum, e.g. `!KubernetesGetResource` followed by its fields. Only the
//! calls that reach policy-evaluator's callback handler are recorded: `tracing/log` is handled
//! in the waPC host, and calls the policy was not granted are refused before the handler.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::callbacks::{CALLBACK_FAILURE, HostContext, answer};

/// One recorded host call and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub struct Exchange {
    /// The request, as the YAML text of policy-evaluator's `CallbackRequestType`.
    pub request: String,
    /// What the host answered.
    pub response: Response,
}

/// The answer of a recorded host call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Response {
    /// The answer bytes (UTF-8 JSON).
    Success {
        /// The answer.
        payload: String,
    },
    /// The host's error text.
    Error {
        /// The error.
        message: String,
    },
}

/// The `CallbackRequestType` variant a host call becomes in policy-evaluator, with its
/// fields, as a tagged YAML value (`!KubernetesGetResource {api_version: …, …}`), `Ok(None)`
/// for calls that never reach its callback handler (`tracing/log`). The fields are the
/// payload's own: kwctl ignores the ones the variant does not have (`field_masks`) and reads
/// absent `Option`s as `None`, and a field it requires but the module did not send fails
/// the replay, as it would fail in policy-server.
///
/// # Errors
/// When the payload is not JSON of the call's shape, or the call is one this format does not
/// cover.
fn callback_request(
    namespace: &str,
    operation: &str,
    payload: &[u8],
) -> Result<Option<serde_yaml::Value>, String> {
    let call = format!("{namespace}/{operation}");
    if namespace == "tracing" {
        return Ok(None);
    }
    let json: Value = serde_json::from_slice(payload)
        .map_err(|e| format!("the {call} payload is not JSON: {e}"))?;
    let field = |name: &str| json!({ name: json.clone() });
    let (variant, fields) = match (namespace, operation) {
        ("kubernetes", "list_resources_by_namespace") => {
            ("KubernetesListResourceNamespace".to_owned(), json.clone())
        }
        ("kubernetes", "list_resources_all") => {
            ("KubernetesListResourceAll".to_owned(), json.clone())
        }
        ("kubernetes", "get_resource") => ("KubernetesGetResource".to_owned(), json.clone()),
        ("kubernetes", "can_i") => ("KubernetesCanI".to_owned(), json.clone()),
        ("oci", "v1/manifest_digest") => ("OciManifestDigest".to_owned(), field("image")),
        ("oci", "v1/oci_manifest") => ("OciManifest".to_owned(), field("image")),
        ("oci", "v1/oci_manifest_config") => ("OciManifestAndConfig".to_owned(), field("image")),
        ("net", "v1/dns_lookup_host") => ("DNSLookupHost".to_owned(), field("host")),
        // v2: internally tagged by `type`; v1: externally tagged.
        ("oci", "v2/verify") => {
            let mut fields = json.clone();
            let variant = fields
                .as_object_mut()
                .and_then(|o| o.remove("type"))
                .and_then(|t| t.as_str().map(str::to_owned))
                .ok_or_else(|| format!("the {call} payload has no `type`"))?;
            (variant, fields)
        }
        ("oci", "v1/verify") => match json.as_object().map(|o| o.iter().next()) {
            Some(Some((variant, fields))) if json.as_object().is_some_and(|o| o.len() == 1) => {
                (variant.clone(), fields.clone())
            }
            _ => {
                return Err(format!(
                    "the {call} payload is not an externally tagged request"
                ));
            }
        },
        _ => return Err(format!("{call} is not covered by the session format here")),
    };
    let fields = serde_yaml::to_value(&fields).map_err(|e| e.to_string())?;
    Ok(Some(serde_yaml::Value::Tagged(Box::new(
        serde_yaml::value::TaggedValue {
            tag: serde_yaml::value::Tag::new(variant),
            value: fields,
        },
    ))))
}

/// Whether policy-evaluator hands the call to its callback handler under `context`'s grants
/// (a refused call is answered before, and kwctl does not record it).
fn reaches_handler(
    context: &HostContext,
    namespace: &str,
    operation: &str,
    payload: &[u8],
) -> bool {
    if !context.can_access_capability(&format!("{namespace}/{operation}")) {
        return false;
    }
    if namespace == "kubernetes" && operation != "can_i" {
        let request: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
        if let (Some(api_version), Some(kind)) = (
            request.get("api_version").and_then(Value::as_str),
            request.get("kind").and_then(Value::as_str),
        ) {
            return context.can_access_kubernetes(api_version, kind);
        }
    }
    true
}

/// One host call as the module made it: capability namespace, operation, payload bytes.
pub type Call<'a> = (&'a str, &'a str, &'a [u8]);

/// The session of an evaluation that made `calls` under `context`: every call that reaches
/// policy-evaluator's callback handler, answered again from the fixture exactly as during the
/// evaluation (host-test's answers are deterministic).
///
/// # Errors
/// When a payload is one policy-evaluator could not read, or a call is not covered.
pub fn session(context: &HostContext, calls: &[Call<'_>]) -> Result<Vec<Exchange>, String> {
    let mut exchanges = Vec::new();
    for (namespace, operation, payload) in calls {
        if !reaches_handler(context, namespace, operation, payload) {
            continue;
        }
        let Some(request) = callback_request(namespace, operation, payload)? else {
            continue;
        };
        let request = serde_yaml::to_string(&request).map_err(|e| e.to_string())?;
        let response = match answer(context, namespace, operation, payload) {
            Ok(bytes) => Response::Success {
                payload: String::from_utf8(bytes).map_err(|e| e.to_string())?,
            },
            // kwctl's replay hands the recorded error to policy-evaluator, which puts its
            // prefix before it again.
            Err(message) => Response::Error {
                message: message
                    .strip_prefix(CALLBACK_FAILURE)
                    .map_or(message.clone(), str::to_owned),
            },
        };
        exchanges.push(Exchange { request, response });
    }
    Ok(exchanges)
}

/// The session file text (YAML).
pub fn to_yaml(exchanges: &[Exchange]) -> String {
    serde_yaml::to_string(exchanges).unwrap_or_default()
}
