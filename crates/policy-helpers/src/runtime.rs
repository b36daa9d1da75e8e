//! The waPC entry points every policy module exports, written once.
//!
//! `validate` decodes the envelope, accepts what the policy does not evaluate (operations it
//! does not handle, exempt namespaces, users and groups), runs the policy's pure rule and turns
//! its [`Verdict`] into the SDK's `ValidationResponse`. `validate_settings` decodes the
//! settings strictly and answers `valid: false` with the offending key instead of a guest
//! error.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::request::{Operation, Request};
use crate::sdk::response::ValidationResponse;
use crate::sdk::settings::SettingsValidationResponse;
use crate::sdk::wapc_guest::CallResult;
use crate::settings::{Checked, PolicySettings, check};
use crate::verdict::{Verdict, message};

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

/// The payload read in one pass: the request decoded where it lies.
#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    request: Request<'a>,
    #[serde(borrow, default)]
    settings: Option<&'a RawValue>,
}

/// The payload read in two steps (request kept raw first): only used to say what is wrong
/// with a payload the one-pass read refused, so that the error names the right part.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    request: Option<&'a RawValue>,
}

fn respond(r: &ValidationResponse) -> CallResult {
    Ok(serde_json::to_vec(r)?)
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
    let text = std::str::from_utf8(payload)
        .map_err(|_| "validation payload is not UTF-8 JSON".to_string())?;
    // One pass over the payload in the common case; the two-step read below only runs to
    // explain a payload the one-pass read refused.
    let env: Payload = match serde_json::from_str(text) {
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
        None if checked.exemptions.has_namespaces() => match req.metadata() {
            Ok(m) => &meta.insert(m).namespace,
            Err(e) => {
                let id = req.identity(&Default::default());
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
                r.audit_annotations = Some(audit_annotations.into_iter().collect());
            }
            r
        }
        Verdict::Reject { violations, code } => {
            let meta = meta.or_else(|| req.metadata().ok()).unwrap_or_default();
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
            r.mutated_object = Some(object);
            r
        }
    })
}

/// The error for a payload [`Payload`] could not read: whether the envelope, a missing
/// request or the request itself is at fault.
#[cold]
fn explain_bad_payload(text: &str) -> String {
    let env: Envelope = match serde_json::from_str(text) {
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
    match serde_json::from_str::<Request>(raw_request.get()) {
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
    match evaluate::<P>(payload) {
        Ok(r) => respond(&r),
        Err(e) => Err(e.into()),
    }
}

/// The `validate_settings` export of policy `policy_id` (its crate name, passed by
/// [`crate::export_policy!`]): `valid: false` with a message that starts with the policy id
/// and names the key. policy-server stops at start-up with `Policy settings are invalid:
/// <message>` and does not say which policy it was; the id in the message does.
///
/// # Errors
/// Never in practice (serialising the answer cannot fail).
pub fn validate_settings<P: Policy>(policy_id: &str, payload: &[u8]) -> CallResult {
    let answer = match std::str::from_utf8(payload) {
        Err(_) => SettingsValidationResponse {
            valid: false,
            message: Some(format!("{policy_id}: settings are not UTF-8 JSON")),
        },
        Ok(text) => match check::<P::Settings>(text) {
            Ok(_) => SettingsValidationResponse {
                valid: true,
                message: None,
            },
            Err(e) => SettingsValidationResponse {
                valid: false,
                message: Some(format!("{policy_id}: {e}")),
            },
        },
    };
    Ok(serde_json::to_vec(&answer)?)
}
