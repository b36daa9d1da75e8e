//! Host capabilities: the calls a context-aware policy makes to the engine through waPC
//! `__host_call` (binding `kubewarden`), typed.
//!
//! Inside the Kubewarden engine (`wasm32-wasip1`) every call goes to the host. On any other
//! target (native unit tests, the browser playground) calls go to a handler installed with
//! [`set_handler`] for the current thread, so rules that look up the cluster can be tested and
//! embedded without the engine; with no handler installed, every call fails with
//! [`HostError::Unavailable`].
//!
//! Every failure is an error value, never a panic: a rule that cannot look something up must fail
//! closed with a message that says which lookup failed (see [`HostError`]'s `Display`).
//!
//! The payloads and answers are those of policy-server (`kubernetes/list_resources_by_namespace`,
//! `kubernetes/list_resources_all`, `kubernetes/get_resource`, `kubernetes/can_i`,
//! `oci/v1/manifest_digest`, `oci/v2/verify`).

use crate::prelude::*;
use core::fmt;

use crate::json::DecodeOwned;
use serde_json::{Value, json};

/// Why a host call gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// The engine answered with an error (access not granted, object not found, API failure).
    Host {
        /// `<namespace>/<operation>` of the call.
        call: String,
        /// The engine's error text.
        message: String,
    },
    /// The answer was not the JSON the call promises.
    BadAnswer {
        /// `<namespace>/<operation>` of the call.
        call: String,
        /// What did not fit.
        reason: String,
    },
    /// No engine and no handler (native build without [`set_handler`]).
    Unavailable {
        /// `<namespace>/<operation>` of the call.
        call: String,
    },
}

impl HostError {
    /// Whether the engine said the object does not exist (policy-server's `get_resource`
    /// answers a missing object with an error starting `Cannot find`, after the
    /// `Callback evaluation failure:` prefix [`call`] removes).
    pub fn is_not_found(&self) -> bool {
        matches!(self, HostError::Host { message, .. } if message.starts_with("Cannot find"))
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Host { call, message } => write!(f, "host call {call} failed: {message}"),
            HostError::BadAnswer { call, reason } => {
                write!(f, "host call {call} gave an unexpected answer: {reason}")
            }
            HostError::Unavailable { call } => {
                write!(f, "host call {call} is not available outside the engine")
            }
        }
    }
}

/// Signature of a handler for non-engine targets: `(namespace, operation, payload)` to the
/// answer bytes or the error text.
pub type Handler = Box<dyn Fn(&str, &str, &[u8]) -> Result<Vec<u8>, String>>;

#[cfg(not(all(target_arch = "wasm32", target_os = "wasi")))]
thread_local! {
    static HANDLER: core::cell::RefCell<Option<Handler>> = const { core::cell::RefCell::new(None) };
}

/// Installs (or with `None` removes) the handler answering host calls on this thread. Has no
/// effect inside the engine, where the engine answers.
pub fn set_handler(handler: Option<Handler>) {
    #[cfg(not(all(target_arch = "wasm32", target_os = "wasi")))]
    HANDLER.with(|h| *h.borrow_mut() = handler);
    #[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
    drop(handler);
}

/// One raw host call: `kubewarden` binding, the namespace and operation, a JSON payload.
///
/// # Errors
/// [`HostError::Host`] with the engine's text, or [`HostError::Unavailable`].
pub fn call(namespace: &str, operation: &str, payload: &[u8]) -> Result<Vec<u8>, HostError> {
    #[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
    {
        crate::guest::host_call("kubewarden", namespace, operation, payload)
            .map_err(|e| host_error(namespace, operation, e.trim()))
    }
    #[cfg(not(all(target_arch = "wasm32", target_os = "wasi")))]
    {
        HANDLER.with(|h| match h.borrow().as_ref() {
            Some(handler) => handler(namespace, operation, payload)
                .map_err(|message| host_error(namespace, operation, &message)),
            None => Err(HostError::Unavailable {
                call: format!("{namespace}/{operation}"),
            }),
        })
    }
}

/// Longest host error text a message quotes, in bytes (cut at a character boundary).
pub const MAX_QUOTED_HOST_ERROR: usize = 240;

/// What policy-evaluator puts before every error of its callback handler (the lookup itself
/// failed, as opposed to a grant refused): `Callback evaluation failure: {e:?}`.
const CALLBACK_FAILURE: &str = "Callback evaluation failure:";

/// The one place a host's error text enters a module: without policy-evaluator's
/// [`CALLBACK_FAILURE`] prefix, only its first line, at most [`MAX_QUOTED_HOST_ERROR`] bytes.
/// policy-evaluator formats a failed lookup with `{e:?}`, so with `RUST_BACKTRACE` set in
/// policy-server's environment the error carries a stack trace (and a cause chain) on the lines
/// below, which must not reach the admission message a user reads.
fn host_error(namespace: &str, operation: &str, text: &str) -> HostError {
    let text = text.trim();
    let text = text
        .strip_prefix(CALLBACK_FAILURE)
        .map_or(text, str::trim_start);
    let first = text.lines().next().unwrap_or("").trim_end();
    let message = if first.len() <= MAX_QUOTED_HOST_ERROR {
        first.to_string()
    } else {
        let mut end = MAX_QUOTED_HOST_ERROR;
        while !first.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &first[..end])
    };
    HostError::Host {
        call: format!("{namespace}/{operation}"),
        message,
    }
}

/// A payload built with `json!` written as JSON (compact, keys in order, strings escaped as
/// serde_json escapes them) without serde_json's writer, whose float formatter and its tables
/// (about 12 KB) no payload of these calls needs: they hold strings, booleans, null and
/// arrays. A number is written as an integer when it is one, a float (none is ever sent)
/// through the modules' short formatter.
fn payload_bytes(v: &Value) -> Vec<u8> {
    fn write(out: &mut Vec<u8>, v: &Value) {
        match v {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(true) => out.extend_from_slice(b"true"),
            Value::Bool(false) => out.extend_from_slice(b"false"),
            Value::Number(n) => {
                let text = match (n.as_u64(), n.as_i64(), n.as_f64()) {
                    (Some(u), _, _) => u.to_string(),
                    (None, Some(i), _) => i.to_string(),
                    (None, None, Some(x)) => crate::json::Decimal(x).to_string(),
                    (None, None, None) => "null".to_owned(),
                };
                out.extend_from_slice(text.as_bytes());
            }
            Value::String(s) => crate::runtime::json_string(out, s),
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(out, item);
                }
                out.push(b']');
            }
            Value::Object(map) => {
                out.push(b'{');
                for (i, (k, item)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    crate::runtime::json_string(out, k);
                    out.push(b':');
                    write(out, item);
                }
                out.push(b'}');
            }
        }
    }
    let mut out = Vec::with_capacity(128);
    write(&mut out, v);
    out
}

fn call_json<T: DecodeOwned>(
    namespace: &str,
    operation: &str,
    payload: &Value,
) -> Result<T, HostError> {
    call_bytes(namespace, operation, &payload_bytes(payload))
}

fn call_bytes<T: DecodeOwned>(
    namespace: &str,
    operation: &str,
    bytes: &[u8],
) -> Result<T, HostError> {
    let answer = call(namespace, operation, bytes)?;
    // Decoding from `&str` (as the request views do) instead of bytes keeps one decoder per
    // view type in the module instead of two.
    let text = core::str::from_utf8(&answer).map_err(|e| HostError::BadAnswer {
        call: format!("{namespace}/{operation}"),
        reason: e.to_string(),
    })?;
    crate::json::decode(text).map_err(|e| HostError::BadAnswer {
        call: format!("{namespace}/{operation}"),
        reason: e.to_string(),
    })
}

/// A list answer: its `items`, absent read as empty (a generic struct, so written out rather
/// than declared with `view!`; read only by the modules' reader, through [`call_json`]).
struct ListOf<T> {
    items: Vec<T>,
}

impl<T> Default for ListOf<T> {
    fn default() -> Self {
        ListOf { items: Vec::new() }
    }
}

impl<'de, T: crate::json::Decode<'de>> crate::de::Fields<'de> for ListOf<T> {
    const EXPECTING: &'static str = "struct ListOf";
    const NAMES: &'static [&'static str] = &["items"];
    const DENY_UNKNOWN: bool = false;
    const REQUIRED: u64 = 0;

    fn read<A: serde::de::MapAccess<'de>>(&mut self, _: usize, _: &mut A) -> Result<(), A::Error> {
        Err(serde::de::Error::custom(
            "a list answer is read by the modules' reader only",
        ))
    }

    fn decode_field(
        &mut self,
        _: usize,
        r: &mut crate::json::Deserializer<'de>,
    ) -> Result<(), crate::json::Error> {
        crate::json::field(r, &mut self.items)
    }
}

impl<'de, T: crate::json::Decode<'de>> crate::json::Decode<'de> for ListOf<T> {
    fn decode(r: &mut crate::json::Deserializer<'de>) -> Result<Self, crate::json::Error> {
        crate::json::decode_struct(r)
    }
}

/// Lists the objects of `api_version`/`kind` in `namespace` (`kubernetes/list_resources_by_namespace`),
/// each decoded as `T` (a view: unknown fields are ignored).
///
/// # Errors
/// When the engine refuses or fails, or an item does not fit `T`.
pub fn list_in_namespace<T: DecodeOwned>(
    api_version: &str,
    kind: &str,
    namespace: &str,
    label_selector: Option<&str>,
    field_selector: Option<&str>,
) -> Result<Vec<T>, HostError> {
    let payload = json!({
        "api_version": api_version,
        "kind": kind,
        "namespace": namespace,
        "label_selector": label_selector,
        "field_selector": field_selector,
        "field_masks": null,
    });
    call_json::<ListOf<T>>("kubernetes", "list_resources_by_namespace", &payload).map(|l| l.items)
}

/// Lists the objects of `api_version`/`kind` in every namespace (`kubernetes/list_resources_all`).
///
/// # Errors
/// When the engine refuses or fails, or an item does not fit `T`.
pub fn list_all<T: DecodeOwned>(
    api_version: &str,
    kind: &str,
    label_selector: Option<&str>,
    field_selector: Option<&str>,
) -> Result<Vec<T>, HostError> {
    let payload = json!({
        "api_version": api_version,
        "kind": kind,
        "label_selector": label_selector,
        "field_selector": field_selector,
        "field_masks": null,
    });
    call_json::<ListOf<T>>("kubernetes", "list_resources_all", &payload).map(|l| l.items)
}

/// Gets one object (`kubernetes/get_resource`); `Ok(None)` when the engine says it does not
/// exist. `namespace` is `None` for cluster-scoped kinds.
///
/// # Errors
/// When the engine refuses or fails for another reason, or the object does not fit `T`.
pub fn get<T: DecodeOwned>(
    api_version: &str,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
) -> Result<Option<T>, HostError> {
    let payload = json!({
        "api_version": api_version,
        "kind": kind,
        "name": name,
        "namespace": namespace,
        "disable_cache": false,
        "field_masks": null,
    });
    match call_json::<T>("kubernetes", "get_resource", &payload) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The attributes of a `SubjectAccessReview` (`kubernetes/can_i`).
#[derive(Debug, Clone, Default)]
pub struct AccessQuery<'a> {
    /// The user asked about.
    pub user: &'a str,
    /// Their groups.
    pub groups: &'a [String],
    /// The verb, e.g. `get`.
    pub verb: &'a str,
    /// The API group (`""` for core).
    pub group: &'a str,
    /// The resource, e.g. `secrets`.
    pub resource: &'a str,
    /// The subresource, if any.
    pub subresource: Option<&'a str>,
    /// The namespace, if namespaced.
    pub namespace: Option<&'a str>,
    /// The object name, if one.
    pub name: Option<&'a str>,
}

crate::view! {
    #[derive(Default)]
    struct AccessStatus {
        allowed: bool = "allowed",
    }
}

/// Asks whether a subject may do something (`kubernetes/can_i`).
///
/// The payload is the SDK's `CanIRequest` (kubewarden-policy-sdk 0.17,
/// `host_capabilities/kubernetes.rs`: `{subject_access_review: {groups, resource_attributes:
/// {group, name, namespace, resource, subresource, verb, version}, user}, disable_cache}`, field
/// names as written, no `spec`), which policy-evaluator's `host_callback` deserializes for
/// `kubernetes/can_i` and turns into the Kubernetes `SubjectAccessReview` itself. Older SDKs
/// sent a whole Kubernetes `SubjectAccessReview` (`spec.resourceAttributes`); the engine no
/// longer reads that shape.
///
/// # Errors
/// When the engine refuses or fails.
pub fn can_i(q: &AccessQuery<'_>) -> Result<bool, HostError> {
    let payload = json!({
        "subject_access_review": {
            "user": q.user,
            "groups": q.groups,
            "resource_attributes": {
                "group": q.group,
                "resource": q.resource,
                "subresource": q.subresource,
                "namespace": q.namespace,
                "name": q.name,
                "verb": q.verb,
                "version": null,
            },
        },
        "disable_cache": false,
    });
    call_json::<AccessStatus>("kubernetes", "can_i", &payload).map(|s| s.allowed)
}

crate::view! {
    #[derive(Default)]
    struct DigestAnswer {
        digest: String = "digest" required,
    }
}

/// The digest of an image's manifest (`oci/v1/manifest_digest`).
///
/// # Errors
/// When the engine refuses or the registry lookup fails.
pub fn manifest_digest(image: &str) -> Result<String, HostError> {
    call_json::<DigestAnswer>(
        "oci",
        "v1/manifest_digest",
        &Value::String(image.to_string()),
    )
    .map(|d| d.digest)
}

crate::view! {
    /// The answer of a sigstore verification (`oci/v2/verify`).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct VerifyAnswer {
        /// Whether a signature satisfying the request was found.
        pub is_trusted: bool = "is_trusted" required,
        /// The digest of the verified manifest.
        pub digest: String = "digest",
    }
}

/// Verifies an image's sigstore signatures (`oci/v2/verify`). `input` is one of the SDK's
/// `SigstoreVerificationInputV2` variants, internally tagged by `type`, e.g.
/// `{"type":"SigstorePubKeyVerify","image":…,"pub_keys":[…],"annotations":null}`.
///
/// # Errors
/// When the engine refuses or fails (policy-server also answers "no signature found" as an
/// error).
pub fn verify(input: &impl serde::Serialize) -> Result<VerifyAnswer, HostError> {
    let bytes = serde_json::to_vec(input).map_err(|e| HostError::BadAnswer {
        call: "oci/v2/verify".to_owned(),
        reason: e.to_string(),
    })?;
    call_bytes::<VerifyAnswer>("oci", "v2/verify", &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_written_as_serde_json_writes_them() {
        for v in [
            json!({"api_version": "v1", "kind": "Pod", "namespace": "a\"b\n\u{1}é", "label_selector": null, "field_masks": null}),
            json!({"subject_access_review": {"user": "u", "groups": ["g1", "g2"], "resource_attributes": {"verb": "get", "version": null}}, "disable_cache": false}),
            json!("registry.example/app:1"),
            json!([1, -2, true, [], {}, u64::MAX, i64::MIN]),
        ] {
            assert_eq!(
                String::from_utf8(payload_bytes(&v)).unwrap(),
                serde_json::to_string(&v).unwrap()
            );
        }
        assert_eq!(payload_bytes(&json!(1.5)), b"1.5");
    }

    #[test]
    fn without_a_handler_calls_are_unavailable() {
        set_handler(None);
        let e =
            list_in_namespace::<Value>("v1", "ServiceAccount", "default", None, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "host call kubernetes/list_resources_by_namespace is not available outside the engine"
        );
    }

    #[test]
    fn a_handler_answers_and_payloads_have_the_engine_shape() {
        set_handler(Some(Box::new(|ns, op, payload| {
            let p: Value = serde_json::from_slice(payload).unwrap();
            match (ns, op) {
                ("kubernetes", "list_resources_by_namespace") => {
                    assert_eq!(p["namespace"], "team");
                    assert_eq!(p["kind"], "ServiceAccount");
                    Ok(br#"{"apiVersion":"v1","kind":"ServiceAccountList","items":[{"metadata":{"name":"a"}}]}"#.to_vec())
                }
                ("kubernetes", "get_resource") => Err(format!(
                    "Cannot find v1/ServiceAccount named '{}' inside of namespace 'Some(\"team\")'",
                    p["name"].as_str().unwrap()
                )),
                ("kubernetes", "can_i") => {
                    assert_eq!(
                        p["subject_access_review"]["resource_attributes"]["verb"],
                        "get"
                    );
                    Ok(br#"{"allowed":true}"#.to_vec())
                }
                ("oci", "v1/manifest_digest") => Ok(br#"{"digest":"sha256:ab"}"#.to_vec()),
                _ => Err("connection refused".into()),
            }
        })));
        let items = list_in_namespace::<Value>("v1", "ServiceAccount", "team", None, None).unwrap();
        assert_eq!(items[0]["metadata"]["name"], "a");
        assert_eq!(
            get::<Value>("v1", "ServiceAccount", "gone", Some("team")).unwrap(),
            None
        );
        let groups = vec![];
        let q = AccessQuery {
            user: "u",
            groups: &groups,
            verb: "get",
            resource: "secrets",
            ..Default::default()
        };
        assert!(can_i(&q).unwrap());
        assert_eq!(manifest_digest("busybox").unwrap(), "sha256:ab");
        let e = list_all::<Value>("v1", "Secret", None, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "host call kubernetes/list_resources_all failed: connection refused"
        );
        assert!(!e.is_not_found());
        let e = verify(&json!({"type": "SigstorePubKeyVerify"})).unwrap_err();
        assert!(matches!(e, HostError::Host { .. }));
        set_handler(None);
    }

    #[test]
    fn can_i_sends_the_sdk_can_i_request_and_reads_the_review_status() {
        let sent = alloc::rc::Rc::new(core::cell::RefCell::new(Value::Null));
        let seen = sent.clone();
        set_handler(Some(Box::new(move |ns, op, payload| {
            assert_eq!((ns, op), ("kubernetes", "can_i"));
            *seen.borrow_mut() = serde_json::from_slice(payload).unwrap();
            Ok(br#"{"allowed":false,"denied":true,"reason":"no RBAC rule"}"#.to_vec())
        })));
        let groups = vec!["system:serviceaccounts".to_string()];
        let q = AccessQuery {
            user: "system:serviceaccount:shop:api",
            groups: &groups,
            verb: "update",
            group: "apps",
            resource: "deployments",
            subresource: Some("scale"),
            namespace: Some("shop"),
            name: Some("web"),
        };
        assert!(!can_i(&q).unwrap());
        // The SDK's `CanIRequest` serialized (kubewarden-policy-sdk 0.17): every field present,
        // snake_case, the attributes directly under `subject_access_review`.
        assert_eq!(
            *sent.borrow(),
            json!({
                "subject_access_review": {
                    "groups": ["system:serviceaccounts"],
                    "resource_attributes": {
                        "group": "apps",
                        "name": "web",
                        "namespace": "shop",
                        "resource": "deployments",
                        "subresource": "scale",
                        "verb": "update",
                        "version": null
                    },
                    "user": "system:serviceaccount:shop:api"
                },
                "disable_cache": false
            })
        );
        set_handler(Some(Box::new(
            |_, _, _| Ok(br#"{"allowed":true}"#.to_vec()),
        )));
        assert!(can_i(&AccessQuery::default()).unwrap());
        set_handler(Some(Box::new(|_, _, _| {
            Ok(br#"{"status":{"allowed":true}}"#.to_vec())
        })));
        assert!(!can_i(&AccessQuery::default()).unwrap());
        set_handler(None);
    }

    #[test]
    fn host_errors_are_cut_to_their_first_line_and_a_bounded_length() {
        set_handler(Some(Box::new(|_, op, _| {
            Err(if op == "list_resources_all" {
                "Callback evaluation failure: Cannot list: connection refused\n\nStack backtrace:\n   0: anyhow::error".into()
            } else {
                format!("{}é tail", "x".repeat(MAX_QUOTED_HOST_ERROR - 1))
            })
        })));
        let e = list_all::<Value>("v1", "Secret", None, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "host call kubernetes/list_resources_all failed: Cannot list: connection refused"
        );
        let HostError::Host { message, .. } = manifest_digest("x").unwrap_err() else {
            panic!("expected a host error");
        };
        assert_eq!(
            message,
            format!("{}…", "x".repeat(MAX_QUOTED_HOST_ERROR - 1))
        );
        set_handler(None);
    }

    #[test]
    fn a_malformed_answer_is_an_error_not_a_panic() {
        set_handler(Some(Box::new(|_, _, _| Ok(b"{not json".to_vec()))));
        let e = manifest_digest("x").unwrap_err();
        assert!(matches!(e, HostError::BadAnswer { .. }), "{e}");
        set_handler(None);
    }
}
