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

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// policy-evaluator's `CallbackRequestType`, the variants our modules can reach, with the
/// same variant and field names (kwctl compares the parsed values, so field order and
/// absent `Option`s do not matter).
#[derive(Debug, Serialize)]
enum CallbackRequest {
    OciManifestDigest {
        image: String,
    },
    SigstorePubKeyVerify {
        image: String,
        pub_keys: Vec<String>,
        annotations: Option<BTreeMap<String, String>>,
    },
    SigstoreKeylessVerify {
        image: String,
        keyless: Vec<KeylessInfo>,
        annotations: Option<BTreeMap<String, String>>,
    },
    SigstoreKeylessPrefixVerify {
        image: String,
        keyless_prefix: Vec<KeylessPrefixInfo>,
        annotations: Option<BTreeMap<String, String>>,
    },
    SigstoreGithubActionsVerify {
        image: String,
        owner: String,
        repo: Option<String>,
        annotations: Option<BTreeMap<String, String>>,
    },
    SigstoreCertificateVerify {
        image: String,
        certificate: Vec<u8>,
        certificate_chain: Option<Vec<Vec<u8>>>,
        require_rekor_bundle: bool,
        annotations: Option<BTreeMap<String, String>>,
    },
    KubernetesListResourceNamespace {
        api_version: String,
        kind: String,
        namespace: String,
        label_selector: Option<String>,
        field_selector: Option<String>,
    },
    KubernetesListResourceAll {
        api_version: String,
        kind: String,
        label_selector: Option<String>,
        field_selector: Option<String>,
    },
    KubernetesGetResource {
        api_version: String,
        kind: String,
        name: String,
        namespace: Option<String>,
        disable_cache: bool,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct KeylessInfo {
    issuer: String,
    subject: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeylessPrefixInfo {
    issuer: String,
    url_prefix: String,
}

/// The SDK's payloads, read as policy-evaluator reads them (required fields required).
#[derive(Deserialize)]
#[serde(tag = "type")]
enum VerifyV2 {
    SigstorePubKeyVerify {
        image: String,
        pub_keys: Vec<String>,
        annotations: Option<BTreeMap<String, String>>,
    },
    SigstoreKeylessVerify {
        image: String,
        keyless: Vec<KeylessInfo>,
        annotations: Option<BTreeMap<String, String>>,
    },
    SigstoreKeylessPrefixVerify {
        image: String,
        keyless_prefix: Vec<KeylessPrefixInfo>,
        annotations: Option<BTreeMap<String, String>>,
    },
    SigstoreGithubActionsVerify {
        image: String,
        owner: String,
        repo: Option<String>,
        annotations: Option<BTreeMap<String, String>>,
    },
    SigstoreCertificateVerify {
        image: String,
        certificate: Vec<u8>,
        certificate_chain: Option<Vec<Vec<u8>>>,
        require_rekor_bundle: bool,
        annotations: Option<BTreeMap<String, String>>,
    },
}

#[derive(Deserialize)]
struct ListNamespaced {
    api_version: String,
    kind: String,
    namespace: String,
    label_selector: Option<String>,
    field_selector: Option<String>,
}

#[derive(Deserialize)]
struct ListAll {
    api_version: String,
    kind: String,
    label_selector: Option<String>,
    field_selector: Option<String>,
}

#[derive(Deserialize)]
struct Get {
    api_version: String,
    kind: String,
    name: String,
    namespace: Option<String>,
    disable_cache: bool,
}

fn parse<T: for<'de> Deserialize<'de>>(call: &str, payload: &[u8]) -> Result<T, String> {
    serde_json::from_slice(payload)
        .map_err(|e| format!("policy-evaluator cannot read the {call} payload: {e}"))
}

/// The `CallbackRequestType` a host call becomes in policy-evaluator, `Ok(None)` for calls
/// that never reach its callback handler (`tracing/log`).
///
/// # Errors
/// When policy-evaluator could not read the payload, or the call is one this format does not
/// cover.
fn callback_request(
    namespace: &str,
    operation: &str,
    payload: &[u8],
) -> Result<Option<CallbackRequest>, String> {
    let call = format!("{namespace}/{operation}");
    Ok(Some(match (namespace, operation) {
        ("tracing", _) => return Ok(None),
        ("kubernetes", "list_resources_by_namespace") => {
            let r: ListNamespaced = parse(&call, payload)?;
            CallbackRequest::KubernetesListResourceNamespace {
                api_version: r.api_version,
                kind: r.kind,
                namespace: r.namespace,
                label_selector: r.label_selector,
                field_selector: r.field_selector,
            }
        }
        ("kubernetes", "list_resources_all") => {
            let r: ListAll = parse(&call, payload)?;
            CallbackRequest::KubernetesListResourceAll {
                api_version: r.api_version,
                kind: r.kind,
                label_selector: r.label_selector,
                field_selector: r.field_selector,
            }
        }
        ("kubernetes", "get_resource") => {
            let r: Get = parse(&call, payload)?;
            CallbackRequest::KubernetesGetResource {
                api_version: r.api_version,
                kind: r.kind,
                name: r.name,
                namespace: r.namespace,
                disable_cache: r.disable_cache,
            }
        }
        ("oci", "v1/manifest_digest") => CallbackRequest::OciManifestDigest {
            image: parse(&call, payload)?,
        },
        ("oci", "v2/verify") => match parse::<VerifyV2>(&call, payload)? {
            VerifyV2::SigstorePubKeyVerify {
                image,
                pub_keys,
                annotations,
            } => CallbackRequest::SigstorePubKeyVerify {
                image,
                pub_keys,
                annotations,
            },
            VerifyV2::SigstoreKeylessVerify {
                image,
                keyless,
                annotations,
            } => CallbackRequest::SigstoreKeylessVerify {
                image,
                keyless,
                annotations,
            },
            VerifyV2::SigstoreKeylessPrefixVerify {
                image,
                keyless_prefix,
                annotations,
            } => CallbackRequest::SigstoreKeylessPrefixVerify {
                image,
                keyless_prefix,
                annotations,
            },
            VerifyV2::SigstoreGithubActionsVerify {
                image,
                owner,
                repo,
                annotations,
            } => CallbackRequest::SigstoreGithubActionsVerify {
                image,
                owner,
                repo,
                annotations,
            },
            VerifyV2::SigstoreCertificateVerify {
                image,
                certificate,
                certificate_chain,
                require_rekor_bundle,
                annotations,
            } => CallbackRequest::SigstoreCertificateVerify {
                image,
                certificate,
                certificate_chain,
                require_rekor_bundle,
                annotations,
            },
        },
        _ => return Err(format!("{call} is not covered by the session format here")),
    }))
}

/// Whether policy-evaluator hands the call to its callback handler under `context`'s grants
/// (a refused call is answered before, and kwctl does not record it).
fn reaches_handler(context: &HostContext, namespace: &str, operation: &str, payload: &[u8]) -> bool {
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
