//! Strict decoding for nested settings objects.
//!
//! serde's derived `Deserialize` for a struct also accepts a JSON array and fills the fields
//! positionally, so `"limits": [1, 2]` would silently pass for `"limits": {"a": 1, "b": 2}`.
//! Fields whose type is a struct use `#[serde(deserialize_with = "policy_helpers::strict::object")]`
//! to accept only a JSON object.

use serde::de::{DeserializeOwned, Deserializer, Error};

/// Decodes `T` from a JSON object only; an array (or any other JSON type) is refused.
///
/// # Errors
/// When the value is not an object, or `T` refuses it.
pub fn object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value: serde_json::Value = serde::Deserialize::deserialize(deserializer)?;
    if !value.is_object() {
        return Err(D::Error::custom(format!(
            "expected an object, found {}",
            match value {
                serde_json::Value::Array(_) => "an array",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Number(_) => "a number",
                serde_json::Value::Bool(_) => "a boolean",
                serde_json::Value::Null => "null",
                serde_json::Value::Object(_) => "an object",
            }
        )));
    }
    serde_json::from_value(value).map_err(D::Error::custom)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize, Debug, Default, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Inner {
        a: u32,
        b: u32,
    }

    #[derive(serde::Deserialize, Debug)]
    struct Outer {
        #[serde(deserialize_with = "super::object")]
        inner: Inner,
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
    }
}
