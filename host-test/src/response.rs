//! From the policy's `ValidationResponse` to the `AdmissionResponse` the API server receives,
//! as policy-evaluator builds it: JSONPatch diff (base64) of the mutated object, the DELETE
//! mutation rejection, status only when the policy set a message or code, then monitor mode,
//! the allowed-to-mutate check and the custom rejection message, in that order.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Message policy-evaluator rejects a mutation of a DELETE request with.
pub const DELETE_MUTATION_MESSAGE: &str = "Incoming object is null, which happens only with DELETE operations, but the policy is attempting a mutation. This is not allowed";

/// The `ValidationResponse` a policy's `validate` returns (snake_case keys, as the SDK
/// writes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationResponse {
    /// The verdict.
    pub accepted: bool,
    /// Rejection message.
    #[serde(default)]
    pub message: Option<String>,
    /// Rejection code.
    #[serde(default)]
    pub code: Option<u16>,
    /// The mutated object, when the policy mutates.
    #[serde(default)]
    pub mutated_object: Option<Value>,
    /// Audit annotations.
    #[serde(default)]
    pub audit_annotations: Option<BTreeMap<String, String>>,
    /// Warnings for the client.
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

/// The `SettingsValidationResponse` a policy's `validate_settings` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsValidationResponse {
    /// Whether the settings are valid.
    pub valid: bool,
    /// Why not.
    #[serde(default)]
    pub message: Option<String>,
}

/// `admission/v1` AdmissionResponse, serialised as policy-server does (camelCase; `patchType`,
/// `patch` and `status` only when set; `auditAnnotations` and `warnings` always, `null` when
/// absent).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    /// Copied from the request.
    pub uid: String,
    /// The verdict.
    pub allowed: bool,
    /// `JSONPatch` when `patch` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<String>,
    /// Base64 (standard alphabet) RFC 6902 patch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    /// Why the request was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AdmissionStatus>,
    /// Audit annotations.
    #[serde(default)]
    pub audit_annotations: Option<BTreeMap<String, String>>,
    /// Warnings.
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

/// `status` of an AdmissionResponse (a `metav1.Status` subset).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AdmissionStatus {
    /// `Success` or `Failure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Machine-readable reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Extra details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<StatusDetails>,
    /// HTTP-like code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
}

/// `status.details`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDetails {
    /// Object name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// API group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Object uid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Causes; the original message moves here when a custom message replaces it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<StatusCause>,
    /// Retry hint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<i32>,
}

/// One cause in `status.details.causes`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StatusCause {
    /// Machine-readable reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Field path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl AdmissionResponse {
    /// A rejection with `message` and `code`.
    pub fn reject(uid: String, message: String, code: u16) -> Self {
        AdmissionResponse {
            uid,
            allowed: false,
            status: Some(AdmissionStatus {
                message: Some(message),
                code: Some(code),
                ..AdmissionStatus::default()
            }),
            ..AdmissionResponse::default()
        }
    }

    /// policy-evaluator's `reject_internal_server_error`: code 500,
    /// `internal server error: <message>`.
    pub fn reject_internal_server_error(uid: String, message: &str) -> Self {
        Self::reject(uid, format!("internal server error: {message}"), 500)
    }

    /// `status.message`, if any.
    pub fn message(&self) -> Option<&str> {
        self.status.as_ref().and_then(|s| s.message.as_deref())
    }

    /// `status.code`, if any.
    pub fn code(&self) -> Option<u16> {
        self.status.as_ref().and_then(|s| s.code)
    }

    /// The patch, base64-decoded and parsed, if any.
    ///
    /// # Errors
    /// When `patch` is not base64 of JSON (never the case for responses built here).
    pub fn decoded_patch(&self) -> Result<Option<Value>, String> {
        let Some(patch) = &self.patch else {
            return Ok(None);
        };
        let bytes = STANDARD
            .decode(patch)
            .map_err(|e| format!("patch is not base64: {e}"))?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("patch is not JSON: {e}"))
    }

    /// Compact JSON, as `kwctl run` prints it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// Builds the response from the policy's answer (`from_policy_validation_response`).
    /// `object` is the request's `object` (`None` for a DELETE).
    pub fn from_validation_response(
        uid: String,
        object: Option<&Value>,
        response: &ValidationResponse,
    ) -> Self {
        let patch = match (&response.mutated_object, object) {
            (Some(_), None) => {
                return AdmissionResponse {
                    uid,
                    allowed: false,
                    status: Some(AdmissionStatus {
                        message: Some(DELETE_MUTATION_MESSAGE.to_owned()),
                        ..AdmissionStatus::default()
                    }),
                    ..AdmissionResponse::default()
                };
            }
            (Some(mutated), Some(object)) => {
                let diff = json_patch::diff(object, mutated);
                if diff.0.is_empty() {
                    None
                } else {
                    match serde_json::to_string(&diff) {
                        Ok(text) => Some(STANDARD.encode(text)),
                        Err(e) => {
                            return Self::reject_internal_server_error(
                                uid,
                                &format!("cannot serialize JSONPatch: {e:?}"),
                            );
                        }
                    }
                }
            }
            (None, _) => None,
        };
        let status = if response.message.is_some() || response.code.is_some() {
            Some(AdmissionStatus {
                message: response.message.clone(),
                code: response.code,
                ..AdmissionStatus::default()
            })
        } else {
            None
        };
        AdmissionResponse {
            uid,
            allowed: response.accepted,
            patch_type: patch.as_ref().map(|_| "JSONPatch".to_owned()),
            patch,
            status,
            audit_annotations: response.audit_annotations.clone(),
            warnings: response.warnings.clone(),
        }
    }
}

/// `protect` (default) or `monitor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyMode {
    /// Verdicts are enforced.
    #[default]
    Protect,
    /// Everything is accepted; the verdict is only logged.
    Monitor,
}

impl fmt::Display for PolicyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyMode::Protect => "protect",
            PolicyMode::Monitor => "monitor",
        })
    }
}

impl std::str::FromStr for PolicyMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "protect" => Ok(PolicyMode::Protect),
            "monitor" => Ok(PolicyMode::Monitor),
            other => Err(format!(
                "unknown policy mode '{other}' (expected protect or monitor)"
            )),
        }
    }
}

/// The rejection message for a policy that mutated while not allowed to.
pub fn not_allowed_to_mutate_message(policy_id: &str) -> String {
    format!(
        "Request rejected by policy {policy_id}. The policy attempted to mutate the request, but it is currently configured to not allow mutations."
    )
}

/// policy-evaluator's `AdmissionResponseHandler::process_response`: monitor mode, then the
/// allowed-to-mutate check, then the custom rejection message.
pub fn process_response(
    response: AdmissionResponse,
    policy_id: &str,
    mode: PolicyMode,
    allowed_to_mutate: bool,
    custom_message: Option<&str>,
) -> AdmissionResponse {
    let mut response = response;
    if mode == PolicyMode::Monitor {
        response = AdmissionResponse {
            allowed: true,
            patch_type: None,
            patch: None,
            status: None,
            ..response
        };
    }
    if mode == PolicyMode::Protect && !allowed_to_mutate && response.patch.is_some() {
        response = AdmissionResponse {
            allowed: false,
            status: Some(AdmissionStatus {
                message: Some(not_allowed_to_mutate_message(policy_id)),
                ..AdmissionStatus::default()
            }),
            patch: None,
            patch_type: None,
            ..response
        };
    }
    if !response.allowed
        && let Some(custom) = custom_message
    {
        let status = response.status.take().unwrap_or_default();
        let mut details = status.details.clone().unwrap_or_default();
        details.causes.push(StatusCause {
            message: Some(status.message.clone().unwrap_or_default()),
            ..StatusCause::default()
        });
        response.status = Some(AdmissionStatus {
            message: Some(custom.to_owned()),
            details: Some(details),
            ..status
        });
    }
    response
}
