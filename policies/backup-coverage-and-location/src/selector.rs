//! Kubernetes label selectors in their string form (`a=b,c!=d,e,!f,g in (h,i),j notin (k)`),
//! parsed and matched against a label map.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;
use core::fmt;

/// One requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Exists(String),
    NotExists(String),
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

/// A parsed selector; the empty selector matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    text: String,
    requirements: Vec<Requirement>,
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 317
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        && k.matches('/').count() <= 1
}

fn valid_value(v: &str) -> bool {
    v.len() <= 63
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn split_terms(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn parse_term(t: &str) -> Result<Requirement, String> {
    let t = t.trim();
    let bad = |why: &str| Err(format!("{t:?}: {why}"));
    if t.is_empty() {
        return bad("empty requirement");
    }
    if let Some(k) = t.strip_prefix('!') {
        let k = k.trim();
        return if valid_key(k) {
            Ok(Requirement::NotExists(k.to_string()))
        } else {
            bad("not a label key")
        };
    }
    if let Some(open) = t.find('(') {
        let Some(body) = t[open + 1..].strip_suffix(')') else {
            return bad("a set must end with `)`");
        };
        let mut head = t[..open].split_whitespace();
        let (Some(k), Some(op), None) = (head.next(), head.next(), head.next()) else {
            return bad("expected `key in (values)` or `key notin (values)`");
        };
        if !valid_key(k) {
            return bad("not a label key");
        }
        let values: Vec<String> = body.split(',').map(|v| v.trim().to_string()).collect();
        if values.iter().any(|v| v.is_empty() || !valid_value(v)) {
            return bad("not a list of label values");
        }
        return match op {
            "in" => Ok(Requirement::In(k.to_string(), values)),
            "notin" => Ok(Requirement::NotIn(k.to_string(), values)),
            _ => bad("the operator must be `in` or `notin`"),
        };
    }
    let (k, v, negate) = if let Some((k, v)) = t.split_once("!=") {
        (k, v, true)
    } else if let Some((k, v)) = t.split_once("==") {
        (k, v, false)
    } else if let Some((k, v)) = t.split_once('=') {
        (k, v, false)
    } else {
        return if valid_key(t) {
            Ok(Requirement::Exists(t.to_string()))
        } else {
            bad("not a label key")
        };
    };
    let (k, v) = (k.trim(), v.trim());
    if !valid_key(k) {
        return bad("not a label key");
    }
    if !valid_value(v) {
        return bad("not a label value");
    }
    Ok(if negate {
        Requirement::NotEquals(k.into(), v.into())
    } else {
        Requirement::Equals(k.into(), v.into())
    })
}

impl Selector {
    /// Parses the string form.
    ///
    /// # Errors
    /// A message naming the requirement that does not parse.
    pub fn parse(s: &str) -> Result<Selector, String> {
        let requirements = if s.trim().is_empty() {
            Vec::new()
        } else {
            split_terms(s)
                .into_iter()
                .map(parse_term)
                .collect::<Result<_, _>>()?
        };
        Ok(Selector {
            text: s.trim().to_string(),
            requirements,
        })
    }

    /// Whether the selector is empty (matches everything).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::NotExists(k) => !labels.contains_key(k),
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
        })
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_operator() {
        let l = labels(&[
            ("pci-scope", "in-scope"),
            ("tier", "db"),
            ("app.kubernetes.io/name", "x"),
        ]);
        for (s, want) in [
            ("pci-scope=in-scope", true),
            ("pci-scope==in-scope", true),
            ("pci-scope!=in-scope", false),
            ("pci-scope=out-of-scope", false),
            ("tier", true),
            ("!tier", false),
            ("!missing", true),
            ("tier in (db, cache)", true),
            ("tier notin (db)", false),
            ("missing notin (db)", true),
            ("missing in (db)", false),
            (
                "pci-scope=in-scope, tier in (db,cache), app.kubernetes.io/name",
                true,
            ),
            ("pci-scope=in-scope,tier=web", false),
            ("", true),
        ] {
            assert_eq!(Selector::parse(s).unwrap().matches(&l), want, "{s}");
        }
    }

    #[test]
    fn bad_selectors() {
        for s in [
            "a=b,", "=b", "a in b", "a in (b", "a is (b)", "a in ()", "a=b c", "!", "a/b/c=d",
        ] {
            assert!(Selector::parse(s).is_err(), "{s}");
        }
    }
}
