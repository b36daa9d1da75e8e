//! Settings decoding and validation shared by every policy.
//!
//! Settings structs use `#[serde(deny_unknown_fields)]`, so a misspelt key is refused instead
//! of silently ignored; decoding errors carry the path of the offending key.

use crate::json::DecodeOwned;
use crate::prelude::*;

use crate::exemptions::{CompiledExemptions, Exemptions};
use crate::request::decode;

/// What every policy's settings type provides.
pub trait PolicySettings: DecodeOwned + Default {
    /// The common exemptions block.
    fn exemptions(&self) -> &Exemptions;

    /// Policy-specific checks beyond the types (ranges, patterns, non-empty lists).
    ///
    /// # Errors
    /// A message naming the offending key.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Settings decoded and checked, with the exemptions compiled.
pub struct Checked<S> {
    /// The settings.
    pub settings: S,
    /// The compiled exemptions.
    pub exemptions: CompiledExemptions,
}

/// `text` without JSON's white space (space, tab, line feed, carriage return) around it, as
/// the reader skips it.
fn trim_json_space(text: &str) -> &str {
    let space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let b = text.as_bytes();
    let start = b.iter().position(|c| !space(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !space(c)).map_or(start, |i| i + 1);
    // Both ends are next to ASCII bytes, so on character boundaries.
    text.get(start..end).unwrap_or_default()
}

/// Decodes and validates settings from their JSON text (`null` or empty means defaults).
///
/// # Errors
/// A message that names the offending key.
pub fn check<S: PolicySettings>(raw: &str) -> Result<Checked<S>, String> {
    let trimmed = trim_json_space(raw);
    let settings: S = if trimmed.is_empty() || trimmed == "null" {
        S::default()
    } else if !trimmed.starts_with('{') {
        // serde's derived structs also read a JSON array positionally: refuse anything but an
        // object, so `[]` or `[[..]]` cannot pass for settings.
        return Err("settings must be a JSON object".into());
    } else {
        decode::<S>(trimmed).map_err(|e| {
            if e.path.is_empty() || e.path == "." {
                e.reason
            } else {
                format!("{}: {}", e.path, e.reason)
            }
        })?
    };
    let exemptions = settings.exemptions().compile()?;
    settings.validate()?;
    Ok(Checked {
        settings,
        exemptions,
    })
}

#[cfg(test)]
mod object_only_tests {
    use super::*;

    #[test]
    fn only_json_white_space_is_trimmed() {
        assert_eq!(trim_json_space(" \t\r\n{}\n "), "{}");
        assert_eq!(trim_json_space("   "), "");
        assert_eq!(trim_json_space(""), "");
        assert_eq!(trim_json_space("null"), "null");
        // Not JSON's white space: left for the reader to refuse.
        assert_eq!(trim_json_space("\u{a0}{}"), "\u{a0}{}");
        assert_eq!(trim_json_space("\u{c}{}\u{c}"), "\u{c}{}\u{c}");
    }

    crate::view! {
        #[derive(Default)]
        struct Probe [deny_unknown_fields] {
            exemptions: Exemptions = "exemptions",
            names: Vec<String> = "names",
        }
    }

    impl PolicySettings for Probe {
        fn exemptions(&self) -> &Exemptions {
            &self.exemptions
        }
    }

    #[test]
    fn settings_must_be_an_object() {
        assert!(check::<Probe>("{}").is_ok());
        assert!(check::<Probe>("null").is_ok());
        assert!(check::<Probe>(" ").is_ok());
        let read = check::<Probe>(r#"{"names": ["a", "b"]}"#).expect("an object");
        assert_eq!(read.settings.names, ["a", "b"]);
        for raw in ["[]", "[{}, [\"a\"]]", "3", "\"x\"", "true"] {
            let error = check::<Probe>(raw).err().expect(raw);
            assert_eq!(error, "settings must be a JSON object", "{raw}");
        }
    }
}
