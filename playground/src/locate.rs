//! From a rejection message to the YAML lines it is about.
//!
//! Messages name exact field paths (`container "app" (spec.template.spec.containers[0]) sets
//! securityContext.privileged=true`): a path whose first segment is a top-level field of the
//! object is absolute; a path that follows one in the same finding is relative to it. Each path
//! is found in the document's text by following its block structure (mappings and `-` sequence
//! items, by indentation); when a segment is written in flow style the deepest line found is
//! kept.

use serde_json::Value;

use crate::Finding;
use crate::documents::Document;

/// One segment of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// Parses `a.b[0].c` (keys may be quoted as `["x.y"]`).
pub fn parse_path(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            rest = r;
        } else if let Some(r) = rest.strip_prefix("[\"") {
            let end = r.find("\"]").unwrap_or(r.len());
            out.push(Segment::Key(r[..end].to_owned()));
            rest = r.get(end + 2..).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap_or(r.len());
            match r[..end].parse() {
                Ok(i) => out.push(Segment::Index(i)),
                Err(_) => out.push(Segment::Key(r[..end].to_owned())),
            }
            rest = r.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            out.push(Segment::Key(rest[..end].to_owned()));
            rest = &rest[end..];
        }
    }
    out
}

/// The path-like tokens of a text, in order: identifiers joined by `.` and `[n]`, with at
/// least one joint (`metadata.namespace`, `spec.containers[0]`).
pub fn path_tokens(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    while i < bytes.len() {
        if bytes[i].is_ascii_alphabetic() && (i == 0 || !ident(bytes[i - 1])) {
            let start = i;
            let mut joints = 0;
            loop {
                while i < bytes.len() && ident(bytes[i]) {
                    i += 1;
                }
                if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_alphabetic() {
                    joints += 1;
                    i += 1;
                } else if i < bytes.len() && bytes[i] == b'[' {
                    let close = text[i..].find(']').map(|c| i + c);
                    match close {
                        Some(c)
                            if text[i + 1..c].chars().all(|ch| ch.is_ascii_digit())
                                && c > i + 1 =>
                        {
                            joints += 1;
                            i = c + 1;
                            if i + 1 < bytes.len()
                                && bytes[i] == b'.'
                                && bytes[i + 1].is_ascii_alphabetic()
                            {
                                i += 1;
                                continue;
                            }
                            break;
                        }
                        _ => break,
                    }
                } else {
                    break;
                }
            }
            if joints > 0 {
                out.push(text[start..i].to_owned());
            }
        } else {
            i += 1;
        }
    }
    out
}

struct Line<'a> {
    /// Column of the first character.
    indent: usize,
    /// Column where the content after any `- ` markers starts.
    content_indent: usize,
    /// Whether the line starts with a `-` item marker.
    item: bool,
    /// The content after the markers.
    content: &'a str,
}

fn lines(text: &str) -> Vec<Option<Line<'_>>> {
    text.lines()
        .map(|l| {
            let trimmed = l.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                return None;
            }
            let indent = l.len() - trimmed.len();
            let mut content = trimmed;
            let mut content_indent = indent;
            let mut item = false;
            while let Some(r) = content.strip_prefix('-') {
                if !(r.is_empty() || r.starts_with(' ')) {
                    break;
                }
                item = true;
                let r2 = r.trim_start();
                content_indent += content.len() - r2.len();
                content = r2;
            }
            Some(Line {
                indent,
                content_indent,
                item,
                content,
            })
        })
        .collect()
}

fn key_of(content: &str) -> Option<&str> {
    let (k, _) = content.split_once(':')?;
    let k = k.trim();
    Some(
        k.strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .or_else(|| k.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
            .unwrap_or(k),
    )
}

/// The 0-based line of `path` in `text`: `(line, exact)`; the deepest line found when the
/// whole path is not written in block style, `None` when not even the first segment is.
pub fn locate(text: &str, path: &[Segment]) -> Option<(usize, bool)> {
    let ls = lines(text);
    // The block being searched: lines [from, to), the column its entries start at, and whether
    // the first line's content (after `- `) belongs to it.
    let (mut from, mut to) = (0usize, ls.len());
    let mut column = ls.iter().flatten().map(|l| l.indent).next()?;
    let mut best = None;
    for seg in path {
        match seg {
            Segment::Key(k) => {
                let found = (from..to).find(|&j| {
                    ls[j].as_ref().is_some_and(|l| {
                        l.content_indent == column && key_of(l.content) == Some(k.as_str())
                    })
                });
                let Some(j) = found else {
                    return best.map(|b| (b, false));
                };
                best = Some(j);
                let key_column = ls[j].as_ref().map_or(0, |l| l.content_indent);
                let end = (j + 1..to)
                    .find(|&m| {
                        ls[m].as_ref().is_some_and(|l| {
                            l.indent < key_column || (l.indent == key_column && !l.item)
                        })
                    })
                    .unwrap_or(to);
                from = j + 1;
                to = end;
                match (from..to).find_map(|m| ls[m].as_ref()) {
                    Some(l) => column = if l.item { l.indent } else { l.content_indent },
                    None => {
                        from = to;
                    }
                }
            }
            Segment::Index(i) => {
                let items: Vec<usize> = (from..to)
                    .filter(|&m| ls[m].as_ref().is_some_and(|l| l.item && l.indent == column))
                    .collect();
                let Some(&j) = items.get(*i) else {
                    return best.map(|b| (b, false));
                };
                best = Some(j);
                let end = items.get(i + 1).copied().unwrap_or(to);
                let line = ls[j].as_ref().expect("an item line");
                // The item's own entries start after its `- `.
                column = line.indent + 2;
                if line.content_indent != column {
                    // `- - x` or unusual spacing: entries at the content column.
                    column = line.content_indent;
                }
                from = j;
                to = end;
                // A nested sequence item (`- - a`) is found by its marker at the content column.
            }
        }
    }
    best.map(|b| (b, true))
}

/// Splits a rejection message into its findings and locates the field paths each names.
pub fn findings(message: &str, doc: &Document<'_>, object: &Value) -> Vec<Finding> {
    // `<Kind> <ns>/<name>: finding; finding [controls]`
    let body = message.split_once(": ").map_or(message, |(_, b)| b);
    let body = match body.rfind(" [") {
        Some(i) if body.ends_with(']') => &body[..i],
        _ => body,
    };
    let top: Vec<&str> = object
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    body.split("; ")
        .map(|text| {
            let mut absolute: Option<String> = None;
            let mut chosen: Option<(String, usize, bool)> = None;
            for token in path_tokens(text) {
                let first = token.split(['.', '[']).next().unwrap_or("");
                let candidate = if top.contains(&first) {
                    absolute = Some(token.clone());
                    token
                } else if let Some(base) = &absolute {
                    format!("{base}.{token}")
                } else {
                    continue;
                };
                if let Some((line, exact)) = locate(&doc.text, &parse_path(&candidate)) {
                    let better = match &chosen {
                        None => true,
                        Some((_, _, was_exact)) => exact || !was_exact,
                    };
                    if better {
                        chosen = Some((candidate, line, exact));
                    }
                }
            }
            Finding {
                text: text.to_owned(),
                path: chosen.as_ref().map(|c| c.0.clone()),
                line: chosen.map(|c| doc.line + c.1),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      # sidecar first
      containers:
      - name: side
        image: x
      - name: app
        image: y
        securityContext:
          privileged: true
      initContainers:
        - name: init
          securityContext: {privileged: true}
";

    fn at(path: &str) -> Option<(usize, bool)> {
        locate(DEPLOY, &parse_path(path)).map(|(l, e)| (l + 1, e))
    }

    #[test]
    fn finds_block_paths_and_falls_back_on_flow_style() {
        assert_eq!(at("metadata.name"), Some((4, true)));
        assert_eq!(at("spec.template.spec.containers[0]"), Some((10, true)));
        assert_eq!(
            at("spec.template.spec.containers[1].image"),
            Some((13, true))
        );
        assert_eq!(
            at("spec.template.spec.containers[1].securityContext.privileged"),
            Some((15, true))
        );
        assert_eq!(
            at("spec.template.spec.initContainers[0].name"),
            Some((17, true))
        );
        assert_eq!(
            at("spec.template.spec.initContainers[0].securityContext.privileged"),
            Some((18, false))
        );
        assert_eq!(at("spec.template.spec.containers[2]"), Some((9, false)));
        assert_eq!(at("status.x"), None);
    }

    #[test]
    fn tokens_and_paths() {
        assert_eq!(
            path_tokens(
                "container \"app\" (spec.template.spec.containers[0]) sets securityContext.privileged=true"
            ),
            vec![
                "spec.template.spec.containers[0]",
                "securityContext.privileged"
            ]
        );
        assert_eq!(
            path_tokens("is in namespace \"default\" (metadata.namespace)"),
            vec!["metadata.namespace"]
        );
        assert_eq!(
            path_tokens("image nginx:1.25 from docker.io"),
            vec!["docker.io"]
        );
        assert_eq!(
            parse_path("a.b[2][\"x.y\"]"),
            vec![
                Segment::Key("a".into()),
                Segment::Key("b".into()),
                Segment::Index(2),
                Segment::Key("x.y".into())
            ]
        );
    }

    #[test]
    fn findings_point_at_the_offending_lines() {
        let doc = Document {
            line: 5,
            text: DEPLOY.into(),
        };
        let object: Value = serde_yaml::from_str(DEPLOY).unwrap();
        let f = findings(
            "Deployment default/web: container \"app\" (spec.template.spec.containers[1]) sets securityContext.privileged=true; init container \"init\" (spec.template.spec.initContainers[0]) sets securityContext.privileged=true [ASB 7.3]",
            &doc,
            &object,
        );
        assert_eq!(f.len(), 2);
        assert_eq!(
            f[0].path.as_deref(),
            Some("spec.template.spec.containers[1].securityContext.privileged")
        );
        assert_eq!(f[0].line, Some(5 + 14));
        assert_eq!(
            f[1].path.as_deref(),
            Some("spec.template.spec.initContainers[0]")
        );
        assert_eq!(f[1].line, Some(5 + 16));
    }
}
