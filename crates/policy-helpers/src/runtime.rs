//! The waPC entry points every policy module exports, written once.
//!
//! `validate` decodes the envelope, accepts what the policy does not evaluate (operations it
//! does not handle, exempt namespaces, users and groups), runs the policy's pure rule and turns
//! its [`Verdict`] into a [`ValidationResponse`]. `validate_settings` decodes the settings
//! strictly and answers `valid: false` with the offending key instead of a guest error.
//! Both answers are written directly ([`ValidationResponse::to_json`],
//! [`settings_answer`]): a handful of fields does not need a general serialiser.

use crate::prelude::*;

use serde_json::value::RawValue;

use crate::guest::CallResult;
use crate::request::{Operation, Request};
use crate::settings::{Checked, PolicySettings, check};
use crate::verdict::{Verdict, message};

/// The answer of `validate`: the fields of Kubewarden's `ValidationResponse` (policy protocol
/// v1), which policy-server turns into the AdmissionResponse.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidationResponse {
    /// Whether the request is accepted.
    pub accepted: bool,
    /// The rejection message.
    pub message: Option<String>,
    /// The HTTP code of a rejection.
    pub code: Option<u16>,
    /// The object as the policy changed it, as JSON text (mutating policies only).
    pub mutated_object: Option<String>,
    /// Audit annotations recorded with an accepted request: sorted by key, one per key.
    pub audit_annotations: Option<Vec<(String, String)>>,
    /// Warnings returned to the client.
    pub warnings: Option<Vec<String>>,
}

impl ValidationResponse {
    /// The JSON the engine reads: every key present in the SDK's order (`accepted`,
    /// `message`, `code`, `mutated_object`, `audit_annotations`, `warnings`), `null` for an
    /// absent value, strings escaped as serde_json escapes them.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(104 + self.message.as_ref().map_or(0, String::len));
        out.extend_from_slice(if self.accepted {
            b"{\"accepted\":true,\"message\":"
        } else {
            b"{\"accepted\":false,\"message\":"
        });
        match &self.message {
            Some(m) => json_string(&mut out, m),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"code\":");
        match self.code {
            Some(c) => out.extend_from_slice(c.to_string().as_bytes()),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"mutated_object\":");
        match &self.mutated_object {
            Some(v) => out.extend_from_slice(v.as_bytes()),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"audit_annotations\":");
        match &self.audit_annotations {
            Some(map) => {
                out.push(b'{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json_string(&mut out, k);
                    out.push(b':');
                    json_string(&mut out, v);
                }
                out.push(b'}');
            }
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"warnings\":");
        match &self.warnings {
            Some(ws) => {
                out.push(b'[');
                for (i, w) in ws.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json_string(&mut out, w);
                }
                out.push(b']');
            }
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
        out
    }
}

/// Annotations sorted by key, the last value given for a key kept (what a map built from them
/// holds), by insertion: a rule records one or two, and a general sort and map would be a few
/// KB of every module.
fn by_key(mut list: Vec<(String, String)>) -> Vec<(String, String)> {
    for i in 1..list.len() {
        let mut j = i;
        while j > 0 && list[j - 1].0 > list[j].0 {
            list.swap(j - 1, j);
            j -= 1;
        }
    }
    // Equal keys are adjacent and in the order given: keep the last of each run.
    let mut out: Vec<(String, String)> = Vec::with_capacity(list.len());
    for (k, v) in list {
        match out.last_mut() {
            Some(last) if last.0 == k => last.1 = v,
            _ => out.push((k, v)),
        }
    }
    out
}

/// The answer of `validate_settings` (Kubewarden's `SettingsValidationResponse`):
/// `{"valid":true,"message":null}` or `{"valid":false,"message":"..."}`.
pub fn settings_answer(result: Result<(), String>) -> Vec<u8> {
    match result {
        Ok(()) => b"{\"valid\":true,\"message\":null}".to_vec(),
        Err(m) => {
            let mut out = Vec::with_capacity(32 + m.len());
            out.extend_from_slice(b"{\"valid\":false,\"message\":");
            json_string(&mut out, &m);
            out.push(b'}');
            out
        }
    }
}

/// A JSON string as serde_json writes it: `"` and `\\` escaped, the short escapes for
/// backspace, form feed, newline, carriage return and tab, `\u00XX` (lower-case hex) for the
/// other control characters, everything else (non-ASCII included) as it is.
pub(crate) fn json_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let b = s.as_bytes();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let short: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&b[start..i]);
        if short.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(c >> 4)]);
            out.push(HEX[usize::from(c & 0xf)]);
        } else {
            out.extend_from_slice(short);
        }
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

/// A policy: settings, control ids and a pure rule.
pub trait Policy {
    /// The settings type.
    type Settings: PolicySettings;

    /// The control ids closing every message, e.g. `ASB 7.3, PCI 7.1.2, PCI 7.2.1`.
    const CONTROLS: &'static str;

    /// The operations the rule evaluates; the others are accepted untouched.
    const OPERATIONS: &'static [Operation] = &[Operation::Create, Operation::Update];

    /// The rule. Exemptions of the whole request are already applied; per-container image
    /// and service-account exemptions are the rule's to apply through `ctx.exemptions`.
    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict;
}

crate::view! {
    /// The payload read in one pass: the request decoded where it lies.
    #[derive(Default)]
    struct Payload<'a> {
        request: Request<'a> = "request" required,
        settings: Option<&'a RawValue> = "settings",
    }
}

crate::view! {
    /// The payload read in two steps (request kept raw first): only used to say what is wrong
    /// with a payload the one-pass read refused, so that the error names the right part.
    #[derive(Default)]
    struct Envelope<'a> {
        request: Option<&'a RawValue> = "request",
    }
}

fn response(
    accepted: bool,
    message: Option<String>,
    code: Option<u16>,
    warnings: Vec<String>,
) -> ValidationResponse {
    ValidationResponse {
        accepted,
        message,
        code,
        mutated_object: None,
        audit_annotations: None,
        warnings: if warnings.is_empty() {
            None
        } else {
            Some(warnings)
        },
    }
}

/// Evaluates a payload and returns the response, without the waPC wrapping (used by the
/// `validate` export and by native tests and benchmarks).
///
/// # Errors
/// A message when the envelope itself is not a validation request (policy-server never sends
/// one; the host turns the error into a 500 rejection).
pub fn evaluate<P: Policy>(payload: &[u8]) -> Result<ValidationResponse, String> {
    // Read as text: every other decoder of the module reads `&str`, so the payload shares
    // their code instead of instantiating serde_json's slice reader as well (smaller module).
    let text = core::str::from_utf8(payload)
        .map_err(|_| "validation payload is not UTF-8 JSON".to_string())?;
    // One pass over the payload in the common case; the two-step read below only runs to
    // explain a payload the one-pass read refused.
    let env: Payload = match crate::json::decode(text) {
        Ok(env) => env,
        Err(_) => return Err(explain_bad_payload(text)),
    };
    let req = env.request;
    let settings = env.settings.map(|s| s.get()).unwrap_or("{}");
    let checked = match check::<P::Settings>(settings) {
        Ok(c) => c,
        Err(e) => {
            return Ok(response(
                false,
                Some(format!("invalid settings: {e}")),
                Some(500),
                vec![],
            ));
        }
    };
    if !P::OPERATIONS.contains(&req.operation) {
        return Ok(response(true, None, None, vec![]));
    }
    // The object's metadata is read only when something needs it: a namespace exemption of a
    // request that names no namespace (then the object's own counts), and the name in a
    // rejection. Reading it costs a pass over the whole object (serde skips everything after
    // it), and the API server has already decoded it before any webhook sees the request; a
    // rule that reads metadata reads it itself and fails closed on a malformed one.
    let request_namespace = req.namespace.as_deref().filter(|ns| !ns.is_empty());
    let mut meta = None;
    let namespace = match request_namespace {
        Some(ns) => ns,
        None if checked.exemptions.has_namespaces() => match req.metadata_view() {
            Ok(m) => &meta.insert(m).namespace,
            Err(e) => {
                let id = req.identity(&crate::request::MetaView::default());
                return Ok(response(
                    false,
                    Some(message(
                        &id,
                        &[crate::verdict::Violation {
                            subject: String::new(),
                            detail: format!("cannot be read: {e}"),
                        }],
                        P::CONTROLS,
                    )),
                    Some(400),
                    vec![],
                ));
            }
        },
        None => "",
    };
    if checked
        .exemptions
        .exempts_request(&req, namespace)
        .is_some()
    {
        return Ok(response(true, None, None, vec![]));
    }
    Ok(match P::evaluate(&req, &checked) {
        Verdict::Accept { warnings } => response(true, None, None, warnings),
        Verdict::Record {
            warnings,
            audit_annotations,
        } => {
            let mut r = response(true, None, None, warnings);
            if !audit_annotations.is_empty() {
                r.audit_annotations = Some(by_key(audit_annotations));
            }
            r
        }
        Verdict::Reject { violations, code } => {
            let meta = meta
                .or_else(|| req.metadata_view().ok())
                .unwrap_or_default();
            let id = req.identity(&meta);
            response(
                false,
                Some(message(&id, &violations, P::CONTROLS)),
                code,
                vec![],
            )
        }
        Verdict::Mutate { object, warnings } => {
            let mut r = response(true, None, None, warnings);
            r.mutated_object = Some(object.into_json());
            r
        }
    })
}

/// The error for a payload [`Payload`] could not read: whether the envelope, a missing
/// request or the request itself is at fault.
#[cold]
fn explain_bad_payload(text: &str) -> String {
    let env: Envelope = match crate::json::decode(text) {
        Ok(env) => env,
        Err(e) => {
            return format!(
                "validation payload is not a JSON object with request and settings: {e}"
            );
        }
    };
    let Some(raw_request) = env.request else {
        return "validation payload has no request".to_string();
    };
    match crate::json::decode::<Request>(raw_request.get()) {
        Err(e) => format!("cannot read the admission request: {e}"),
        // Not expected: the request reads on its own but not inside the payload.
        Ok(_) => "validation payload cannot be read".to_string(),
    }
}

/// The `validate` export.
///
/// # Errors
/// When the payload is not a validation request at all.
pub fn validate<P: Policy>(payload: &[u8]) -> CallResult {
    evaluate::<P>(payload).map(|r| r.to_json())
}

/// The `validate_settings` export of policy `policy_id` (its crate name, passed by
/// [`crate::export_policy!`]): `valid: false` with a message that starts with the policy id
/// and names the key. policy-server stops at start-up with `Policy settings are invalid:
/// <message>` and does not say which policy it was; the id in the message does.
///
/// # Errors
/// Never: settings that do not pass are a `valid: false` answer.
pub fn validate_settings<P: Policy>(policy_id: &str, payload: &[u8]) -> CallResult {
    let result = match core::str::from_utf8(payload) {
        Err(_) => Err(format!("{policy_id}: settings are not UTF-8 JSON")),
        Ok(text) => check::<P::Settings>(text)
            .map(drop)
            .map_err(|e| format!("{policy_id}: {e}")),
    };
    Ok(settings_answer(result))
}

/// The operations of a policy module, by waPC operation name: what `__guest_call` dispatches
/// to (`validate`, `validate_settings` with the policy id `policy_id`, `protocol_version`).
///
/// # Errors
/// `validate`'s error for a payload that is not a validation request, and the waPC guest's
/// `No handler registered for function <op>` for any other operation name.
pub fn dispatch<P: Policy>(policy_id: &str, op: &[u8], payload: &[u8]) -> CallResult {
    match op {
        b"validate" => validate::<P>(payload),
        b"validate_settings" => validate_settings::<P>(policy_id, payload),
        b"protocol_version" => Ok(crate::guest::PROTOCOL_VERSION.to_vec()),
        _ => Err(crate::guest::unknown_operation(op)),
    }
}

#[cfg(test)]
mod answer_tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use kubewarden_policy_sdk::response::ValidationResponse as SdkResponse;
    use kubewarden_policy_sdk::settings::SettingsValidationResponse as SdkSettings;

    fn sdk(r: &ValidationResponse) -> Vec<u8> {
        serde_json::to_vec(&SdkResponse {
            accepted: r.accepted,
            message: r.message.clone(),
            code: r.code,
            mutated_object: r
                .mutated_object
                .as_deref()
                .map(|t| serde_json::from_str(t).unwrap()),
            audit_annotations: r
                .audit_annotations
                .as_ref()
                .map(|m| m.clone().into_iter().collect()),
            warnings: r.warnings.clone(),
        })
        .expect("serialisable")
    }

    /// Strings with every character class serde_json escapes differently.
    const AWKWARD: &[&str] = &[
        "",
        "plain",
        "quote \" and backslash \\",
        "controls \u{0} \u{1} \u{7} \u{8} \u{b} \u{c} \u{e} \u{1f} \n \r \t end",
        "non-ASCII: é ü 日本 \u{2028} \u{7f} 🦀",
        "Deployment default/web: container \"app\" (spec.template.spec.containers[0]) sets privileged: true [ASB 7.3]",
    ];

    #[test]
    fn answers_are_the_sdk_bytes() {
        let mut cases = vec![
            ValidationResponse {
                accepted: true,
                ..Default::default()
            },
            ValidationResponse {
                accepted: false,
                message: Some("no".into()),
                code: Some(400),
                ..Default::default()
            },
            ValidationResponse {
                accepted: true,
                mutated_object: Some(
                    serde_json::json!({"a": [1, 2.5, null, "x\u{1}"], "b": {}}).to_string(),
                ),
                warnings: Some(vec!["w1".into(), "w\"2".into()]),
                ..Default::default()
            },
            ValidationResponse {
                accepted: true,
                audit_annotations: Some(vec![("k".into(), "v\n".into())]),
                warnings: Some(vec![]),
                ..Default::default()
            },
        ];
        for s in AWKWARD {
            cases.push(ValidationResponse {
                accepted: false,
                message: Some((*s).to_string()),
                code: Some(u16::MAX),
                warnings: Some(vec![(*s).to_string()]),
                audit_annotations: Some(vec![((*s).to_string(), (*s).to_string())]),
                ..Default::default()
            });
        }
        for r in &cases {
            assert_eq!(
                String::from_utf8(r.to_json()).unwrap(),
                String::from_utf8(sdk(r)).unwrap()
            );
        }
        // Several annotations: the SDK's map has no order, so compare the values read back.
        let r = ValidationResponse {
            accepted: true,
            audit_annotations: Some(vec![("a".into(), "1".into()), ("b".into(), "2".into())]),
            ..Default::default()
        };
        let ours: serde_json::Value = serde_json::from_slice(&r.to_json()).unwrap();
        let theirs: serde_json::Value = serde_json::from_slice(&sdk(&r)).unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn annotations_are_sorted_by_key_with_the_last_value_of_a_key() {
        let list = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect()
        };
        let given = list(&[("b", "1"), ("a", "2"), ("c", "3"), ("a", "4"), ("b", "5")]);
        let map: BTreeMap<String, String> = given.clone().into_iter().collect();
        assert_eq!(by_key(given), map.into_iter().collect::<Vec<_>>());
        assert_eq!(
            by_key(list(&[("b", "1"), ("a", "2"), ("a", "3")])),
            list(&[("a", "3"), ("b", "1")])
        );
        assert!(by_key(Vec::new()).is_empty());
    }

    #[test]
    fn settings_answers_are_the_sdk_bytes() {
        let sdk = |valid: bool, message: Option<String>| {
            serde_json::to_vec(&SdkSettings { valid, message }).unwrap()
        };
        assert_eq!(settings_answer(Ok(())), sdk(true, None));
        for s in AWKWARD {
            assert_eq!(
                settings_answer(Err((*s).to_string())),
                sdk(false, Some((*s).to_string()))
            );
        }
    }

    #[test]
    fn protocol_version_is_the_sdk_answer() {
        let theirs = kubewarden_policy_sdk::protocol_version_guest(&[]).unwrap();
        assert_eq!(crate::guest::PROTOCOL_VERSION, theirs.as_slice());
    }

    #[test]
    fn unknown_operations_fail_with_the_wapc_text() {
        struct Nothing;
        crate::view! {
            #[derive(Default)]
            struct NoSettings [deny_unknown_fields] {
                exemptions: crate::Exemptions = "exemptions",
            }
        }
        impl PolicySettings for NoSettings {
            fn exemptions(&self) -> &crate::Exemptions {
                &self.exemptions
            }
        }
        impl Policy for Nothing {
            type Settings = NoSettings;
            const CONTROLS: &'static str = "X";
            fn evaluate(_: &Request<'_>, _: &Checked<NoSettings>) -> Verdict {
                Verdict::Accept { warnings: vec![] }
            }
        }
        assert_eq!(
            dispatch::<Nothing>("p", b"mutate", b"{}"),
            Err("No handler registered for function mutate".to_string())
        );
        assert_eq!(
            dispatch::<Nothing>("p", b"protocol_version", b""),
            Ok(b"\"v1\"".to_vec())
        );
        assert_eq!(
            dispatch::<Nothing>("p", b"validate_settings", b"{\"x\":1}"),
            Ok(settings_answer(Err(
                "p: x: unknown field `x`, expected `exemptions`".to_string()
            )))
        );
    }
}
