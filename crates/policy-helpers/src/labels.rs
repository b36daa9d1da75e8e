//! Labels and annotations: key validation, value patterns, key patterns, and the labels of a
//! namespace looked up through the engine.
//!
//! Value patterns are deliberately small (no regular expressions in the modules): `|` separates
//! alternatives, `*` matches any run of characters (including none), `?` matches exactly one
//! character, and `\` takes the next character literally. `in-scope|out-of-scope` accepts
//! exactly those two values; `?*` accepts any non-empty value; `*` accepts any value.
//! Matching is linear-space dynamic programming, so hostile patterns stay cheap.

use crate::prelude::*;
use alloc::collections::BTreeMap;

use crate::host::{self, HostError};

/// Longest value pattern accepted in settings.
pub const MAX_VALUE_PATTERN_LEN: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Lit(char),
    One,
    Any,
}

/// A compiled value pattern (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuePattern {
    source: String,
    alternatives: Vec<Vec<Tok>>,
}

impl ValuePattern {
    /// Compiles `pattern`.
    ///
    /// # Errors
    /// The pattern is too long or ends with a lone `\`.
    pub fn new(pattern: &str) -> Result<ValuePattern, String> {
        if pattern.len() > MAX_VALUE_PATTERN_LEN {
            return Err(format!(
                "value pattern longer than {MAX_VALUE_PATTERN_LEN} characters"
            ));
        }
        let mut alternatives = vec![Vec::new()];
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            let tok = match c {
                '|' => {
                    alternatives.push(Vec::new());
                    continue;
                }
                '*' => Tok::Any,
                '?' => Tok::One,
                '\\' => match chars.next() {
                    Some(n) => Tok::Lit(n),
                    None => {
                        return Err(format!(
                            "value pattern {pattern:?} ends with a lone `\\` (write `\\\\` for a backslash)"
                        ));
                    }
                },
                other => Tok::Lit(other),
            };
            if let Some(last) = alternatives.last_mut() {
                last.push(tok);
            }
        }
        Ok(ValuePattern {
            source: pattern.to_string(),
            alternatives,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `value` matches one of the alternatives as a whole.
    pub fn matches(&self, value: &str) -> bool {
        let text: Vec<char> = value.chars().collect();
        self.alternatives.iter().any(|alt| matches_alt(alt, &text))
    }
}

fn matches_alt(toks: &[Tok], text: &[char]) -> bool {
    if toks.iter().all(|t| matches!(t, Tok::Lit(_))) {
        return toks.len() == text.len()
            && toks
                .iter()
                .zip(text)
                .all(|(t, c)| matches!(t, Tok::Lit(l) if l == c));
    }
    let mut cur = vec![false; text.len() + 1];
    cur[0] = true;
    for tok in toks {
        let mut next = vec![false; text.len() + 1];
        match tok {
            Tok::Lit(l) => {
                for j in 0..text.len() {
                    if cur[j] && text[j] == *l {
                        next[j + 1] = true;
                    }
                }
            }
            Tok::One => {
                for j in 0..text.len() {
                    if cur[j] {
                        next[j + 1] = true;
                    }
                }
            }
            Tok::Any => {
                for j in 0..=text.len() {
                    next[j] = cur[j] || (j > 0 && next[j - 1]);
                }
            }
        }
        cur = next;
    }
    cur[text.len()]
}

/// Whether `key` is a valid label or annotation key: an optional DNS-subdomain prefix and `/`,
/// then a name of at most 63 characters of letters, digits, `-`, `_` and `.`, beginning and
/// ending with a letter or digit.
pub fn is_valid_key(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        let ok = !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if !ok {
            return false;
        }
    }
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
}

/// Whether `value` is a valid label value (empty, or at most 63 letters, digits, `-`, `_`, `.`
/// beginning and ending with a letter or digit).
pub fn is_valid_label_value(value: &str) -> bool {
    let b = value.as_bytes();
    b.is_empty()
        || (b.len() <= 63
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c)))
}

crate::view! {
    #[derive(Default)]
    struct NamespaceMeta {
        labels: BTreeMap<String, String> = "labels" or_default,
    }
}

crate::view! {
    #[derive(Default)]
    struct NamespaceView {
        metadata: NamespaceMeta = "metadata" or_default,
    }
}

/// The labels of namespace `name`, looked up through the engine (`kubernetes/get_resource` of
/// `v1/Namespace`; the policy's metadata must list it in `contextAwareResources`). `Ok(None)`
/// when the namespace does not exist.
///
/// # Errors
/// When the engine refuses or fails: the rule must reject, naming the failed lookup.
pub fn namespace_labels(name: &str) -> Result<Option<BTreeMap<String, String>>, HostError> {
    host::get::<NamespaceView>("v1", "Namespace", name, None).map(|n| n.map(|n| n.metadata.labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ValuePattern {
        ValuePattern::new(s).unwrap()
    }

    #[test]
    fn alternatives_and_wildcards() {
        let v = p("in-scope|out-of-scope");
        assert!(v.matches("in-scope") && v.matches("out-of-scope"));
        assert!(!v.matches("in-scope2") && !v.matches("") && !v.matches("In-scope"));
        assert!(p("?*").matches("a") && !p("?*").matches(""));
        assert!(p("*").matches("") && p("*").matches("any/thing at all"));
        assert!(p("team-*").matches("team-a") && !p("team-*").matches("xteam-a"));
        assert!(p("CHG?????").matches("CHG12345") && !p("CHG?????").matches("CHG1234"));
        assert!(p("").matches("") && !p("").matches("x"));
        assert!(p("a||b").matches(""));
    }

    #[test]
    fn escapes() {
        assert!(p(r"a\|b").matches("a|b") && !p(r"a\|b").matches("a"));
        assert!(p(r"\*").matches("*") && !p(r"\*").matches("x"));
        assert!(ValuePattern::new("abc\\").is_err());
        assert!(ValuePattern::new(&"a".repeat(2000)).is_err());
    }

    #[test]
    fn non_ascii_values_match_by_character() {
        assert!(p("?").matches("é"));
        assert!(p("caf?").matches("café"));
    }

    #[test]
    fn hostile_patterns_stay_linear() {
        let v = p(&format!("{}b", "*a".repeat(200)));
        assert!(!v.matches(&"a".repeat(5000)));
    }

    #[test]
    fn keys_and_values() {
        for k in [
            "pci-scope",
            "app.kubernetes.io/name",
            "a",
            "control-plane",
            "x.y/Z_9",
        ] {
            assert!(is_valid_key(k), "{k}");
        }
        for k in [
            "",
            "-a",
            "a-",
            "Bad.Prefix/x",
            "/x",
            "a/",
            "x/y/z",
            &"a".repeat(64),
        ] {
            assert!(!is_valid_key(k), "{k:?}");
        }
        assert!(is_valid_label_value("") && is_valid_label_value("in-scope"));
        assert!(!is_valid_label_value("-x") && !is_valid_label_value("a b"));
    }

    #[test]
    fn namespace_lookup_goes_through_the_host() {
        host::set_handler(Some(Box::new(|ns, op, payload| {
            assert_eq!((ns, op), ("kubernetes", "get_resource"));
            let v: serde_json::Value = serde_json::from_slice(payload).unwrap();
            match v["name"].as_str() {
                Some("payments") => Ok(
                    br#"{"metadata":{"name":"payments","labels":{"pci-scope":"in-scope"}}}"#
                        .to_vec(),
                ),
                Some("plain") => Ok(br#"{"metadata":{"name":"plain","labels":null}}"#.to_vec()),
                Some(n) => Err(format!("Cannot find v1/Namespace named '{n}'")),
                None => Err("no name".into()),
            }
        })));
        let l = namespace_labels("payments").unwrap().unwrap();
        assert_eq!(l.get("pci-scope").map(String::as_str), Some("in-scope"));
        assert!(namespace_labels("plain").unwrap().unwrap().is_empty());
        assert_eq!(namespace_labels("gone").unwrap(), None);
        host::set_handler(None);
        assert!(namespace_labels("payments").is_err());
    }
}
