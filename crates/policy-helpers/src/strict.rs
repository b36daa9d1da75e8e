//! Strict decoding for nested settings objects.
//!
//! Fields whose type is a struct use `#[serde(deserialize_with = "policy_helpers::strict::object")]`
//! to accept only a JSON object and say so plainly (`expected an object, found an array`). The
//! modules' reader ([`crate::json`]) already refuses an array for a struct, with serde's wording
//! (`invalid type: sequence, expected struct …`); serde_json's would fill the fields by
//! position, so `"limits": [1, 2]` would pass for `"limits": {"a": 1, "b": 2}`. The check holds
//! whichever reader decodes the settings.

use crate::prelude::*;
use serde::Deserialize;
use serde::de::{Deserializer, Error};
use serde_json::value::RawValue;

/// Decodes `T` from a JSON object only; an array (or any other JSON type) is refused.
///
/// # Errors
/// When the value is not an object, or `T` refuses it.
pub fn object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: crate::json::DecodeOwned,
{
    let raw = Box::<RawValue>::deserialize(deserializer)?;
    let text = raw.get();
    let found = match text.as_bytes().first() {
        Some(b'{') => None,
        Some(b'[') => Some("an array"),
        Some(b'"') => Some("a string"),
        Some(b't' | b'f') => Some("a boolean"),
        Some(b'n') => Some("null"),
        _ => Some("a number"),
    };
    if let Some(found) = found {
        return Err(D::Error::custom(format!(
            "expected an object, found {found}"
        )));
    }
    // The reader names this field's key in front of the reason (the error is placed after
    // the value); the reason alone keeps the message to one path.
    crate::json::decode::<T>(text).map_err(|e| D::Error::custom(e.reason()))
}

#[cfg(test)]
mod tests {
    crate::view! {
        #[derive(Debug, Default, PartialEq)]
        struct Inner [deny_unknown_fields] {
            a: u32 = "a",
            b: u32 = "b",
        }
    }

    crate::view! {
        #[derive(Debug, Default)]
        struct Outer {
            inner: Inner = "inner" with(super::object),
        }
    }

    #[test]
    fn only_objects_pass() {
        let ok: Outer = serde_json::from_str(r#"{"inner": {"a": 1}}"#).unwrap();
        assert_eq!(ok.inner, Inner { a: 1, b: 0 });
        let err = serde_json::from_str::<Outer>(r#"{"inner": [1, 2]}"#).unwrap_err();
        assert!(
            err.to_string()
                .contains("expected an object, found an array"),
            "{err}"
        );
        let err = serde_json::from_str::<Outer>(r#"{"inner": {"c": 1}}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `c`"), "{err}");
        // Through the modules' reader: the error names the field that holds the object.
        let err = crate::request::decode::<Outer>(r#"{"inner": {"a": "x"}}"#).unwrap_err();
        assert_eq!(err.path, "inner");
        assert_eq!(err.reason, "invalid type: string \"x\", expected u32");
        let err = crate::request::decode::<Outer>(r#"{"inner": {"c": 1}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "inner: unknown field `c`, expected `a` or `b`"
        );
        let err = crate::request::decode::<Outer>(r#"{"inner": null}"#).unwrap_err();
        assert_eq!(err.reason, "expected an object, found null");
    }
}
