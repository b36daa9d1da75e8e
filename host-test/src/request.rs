//! Loading admission requests the way policy-server receives them: a bare AdmissionRequest or
//! a whole AdmissionReview (whose `.request` is used), in JSON or YAML, re-shaped as
//! policy-evaluator's own `AdmissionRequest` struct would re-serialise it — unknown top-level
//! keys dropped, keys whose value is `null` omitted, and the required keys checked.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// Why a request could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The file could not be read.
    #[error("cannot read request {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The text is neither JSON nor YAML.
    #[error("cannot parse request {origin} as JSON or YAML")]
    Parse {
        /// Where it came from.
        origin: String,
        /// The YAML parser error (YAML is tried after JSON).
        #[source]
        source: serde_yaml::Error,
    },
    /// The request is not a mapping.
    #[error("request {origin} is not a mapping")]
    NotObject {
        /// Where it came from.
        origin: String,
    },
    /// An AdmissionReview without a `request`.
    #[error("request {origin} is an AdmissionReview without a 'request' mapping")]
    EmptyReview {
        /// Where it came from.
        origin: String,
    },
    /// A required key is missing.
    #[error("request {origin} is missing required key '{key}'")]
    Missing {
        /// Where it came from.
        origin: String,
        /// The key, as a dotted path.
        key: String,
    },
    /// A key has the wrong type.
    #[error("request {origin}: '{key}' must be {expected}")]
    WrongType {
        /// Where it came from.
        origin: String,
        /// The key, as a dotted path.
        key: String,
        /// What it must be.
        expected: &'static str,
    },
}

/// Reads and normalises a request file.
///
/// # Errors
/// See [`RequestError`].
pub fn load_request(path: impl AsRef<Path>) -> Result<Value, RequestError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| RequestError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_request(&text, &path.display().to_string())
}

/// Parses (JSON first, then YAML) and normalises request text.
///
/// # Errors
/// See [`RequestError`].
pub fn parse_request(text: &str, origin: &str) -> Result<Value, RequestError> {
    let value = parse_document(text).map_err(|source| RequestError::Parse {
        origin: origin.to_owned(),
        source,
    })?;
    normalize_request(value, origin)
}

/// Parses JSON, or YAML when the text is not JSON.
///
/// # Errors
/// The YAML parser's error when the text is neither.
pub fn parse_document(text: &str) -> Result<Value, serde_yaml::Error> {
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(_) => serde_yaml::from_str(text),
    }
}

/// Keys of policy-evaluator's `AdmissionRequest`, in its field order, and whether they are
/// required.
const KEYS: &[(&str, bool)] = &[
    ("uid", true),
    ("kind", true),
    ("resource", true),
    ("subResource", false),
    ("requestKind", false),
    ("requestResource", false),
    ("requestSubResource", false),
    ("name", false),
    ("namespace", false),
    ("operation", true),
    ("userInfo", true),
    ("object", false),
    ("oldObject", false),
    ("dryRun", false),
    ("options", false),
];

/// Unwraps an AdmissionReview and re-shapes the request as policy-server sends it.
///
/// # Errors
/// When a required key is missing or a key has the wrong type.
pub fn normalize_request(value: Value, origin: &str) -> Result<Value, RequestError> {
    let Value::Object(mut object) = value else {
        return Err(RequestError::NotObject {
            origin: origin.to_owned(),
        });
    };
    if object.get("kind").and_then(Value::as_str) == Some("AdmissionReview") {
        object = match object.remove("request") {
            Some(Value::Object(request)) => request,
            _ => {
                return Err(RequestError::EmptyReview {
                    origin: origin.to_owned(),
                });
            }
        };
    }
    let wrong = |key: &str, expected: &'static str| RequestError::WrongType {
        origin: origin.to_owned(),
        key: key.to_owned(),
        expected,
    };
    let mut out = Map::new();
    for (key, required) in KEYS {
        let value = object.remove(*key).filter(|v| !v.is_null());
        let Some(value) = value else {
            if *required {
                return Err(RequestError::Missing {
                    origin: origin.to_owned(),
                    key: (*key).to_owned(),
                });
            }
            continue;
        };
        let value = match *key {
            "uid" | "subResource" | "requestSubResource" | "name" | "namespace" | "operation" => {
                if !value.is_string() {
                    return Err(wrong(key, "a string"));
                }
                value
            }
            "dryRun" => {
                if !value.is_boolean() {
                    return Err(wrong(key, "a boolean"));
                }
                value
            }
            "kind" | "requestKind" => triple(value, key, ["group", "version", "kind"], origin)?,
            "resource" | "requestResource" => {
                triple(value, key, ["group", "version", "resource"], origin)?
            }
            "userInfo" => user_info(value, origin)?,
            _ => value,
        };
        out.insert((*key).to_owned(), value);
    }
    Ok(Value::Object(out))
}

fn triple(value: Value, key: &str, fields: [&str; 3], origin: &str) -> Result<Value, RequestError> {
    let Value::Object(object) = value else {
        return Err(RequestError::WrongType {
            origin: origin.to_owned(),
            key: key.to_owned(),
            expected: "a mapping",
        });
    };
    let mut out = Map::new();
    for field in fields {
        match object.get(field) {
            Some(Value::String(s)) => {
                out.insert(field.to_owned(), Value::String(s.clone()));
            }
            None | Some(Value::Null) => {
                return Err(RequestError::Missing {
                    origin: origin.to_owned(),
                    key: format!("{key}.{field}"),
                });
            }
            Some(_) => {
                return Err(RequestError::WrongType {
                    origin: origin.to_owned(),
                    key: format!("{key}.{field}"),
                    expected: "a string",
                });
            }
        }
    }
    Ok(Value::Object(out))
}

fn user_info(value: Value, origin: &str) -> Result<Value, RequestError> {
    let wrong = |key: &str, expected: &'static str| RequestError::WrongType {
        origin: origin.to_owned(),
        key: format!("userInfo.{key}"),
        expected,
    };
    let Value::Object(object) = value else {
        return Err(RequestError::WrongType {
            origin: origin.to_owned(),
            key: "userInfo".to_owned(),
            expected: "a mapping",
        });
    };
    let mut out = Map::new();
    for key in ["username", "uid", "groups", "extra"] {
        let Some(value) = object.get(key).filter(|v| !v.is_null()) else {
            continue;
        };
        let ok = match key {
            "groups" => value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
            "extra" => value.as_object().is_some_and(|extra| {
                extra.values().all(|v| {
                    v.as_array()
                        .is_some_and(|items| items.iter().all(Value::is_string))
                })
            }),
            _ => value.is_string(),
        };
        if !ok {
            return Err(wrong(
                key,
                match key {
                    "groups" => "a list of strings",
                    "extra" => "a mapping of string lists",
                    _ => "a string",
                },
            ));
        }
        out.insert(key.to_owned(), value.clone());
    }
    Ok(Value::Object(out))
}

/// The request's `uid` (or `""`).
pub fn request_uid(request: &Value) -> String {
    request
        .get("uid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}
