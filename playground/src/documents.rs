//! Multi-document YAML: split at `---` lines, keeping each document's first line so findings
//! can point into the pasted text.

use serde_json::Value;

/// One document of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document<'a> {
    /// 1-based line of its first line in the whole input.
    pub line: usize,
    /// Its text.
    pub text: &'a str,
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '#']))
}

/// Splits `input` at document markers (`---` starts a document, `...` ends one). Documents
/// that hold only blank lines and comments are kept; [`parse`] skips them.
pub fn split(input: &str) -> Vec<Document<'_>> {
    let mut out = Vec::new();
    let mut start = 0usize; // byte offset of the current document
    let mut start_line = 1usize;
    let mut offset = 0usize;
    for (i, line) in input.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        if is_marker(bare, "---") || is_marker(bare, "...") {
            out.push(Document {
                line: start_line,
                text: &input[start..offset],
            });
            start = offset + line.len();
            start_line = i + 2;
        }
        offset += line.len();
    }
    out.push(Document {
        line: start_line,
        text: &input[start..],
    });
    out.retain(|d| !d.text.trim().is_empty());
    out
}

/// Reads one document as a Kubernetes object: `Ok(None)` for an empty document.
///
/// # Errors
/// When it is not YAML, or not a mapping with string `apiVersion` and `kind`.
pub fn parse(doc: &Document<'_>) -> Result<Option<Value>, String> {
    let value: Value = serde_yaml::from_str(doc.text).map_err(|e| match e.location() {
        Some(l) => format!(
            "line {}: {}",
            doc.line + l.line() - 1,
            e.to_string().split(" at line ").next().unwrap_or_default()
        ),
        None => e.to_string(),
    })?;
    match &value {
        Value::Null => Ok(None),
        Value::Object(map) => {
            if !map.get("apiVersion").is_some_and(Value::is_string) {
                return Err("not a Kubernetes object: no string 'apiVersion'".into());
            }
            if !map.get("kind").is_some_and(Value::is_string) {
                return Err("not a Kubernetes object: no string 'kind'".into());
            }
            match map.get("metadata") {
                None | Some(Value::Null | Value::Object(_)) => Ok(Some(value)),
                Some(_) => Err("'metadata' must be a mapping".into()),
            }
        }
        _ => Err("not a Kubernetes object: the document is not a mapping".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_keeps_first_lines() {
        let input = "a: 1\n---\n# c\nb: 2\n--- # x\n\n...\nc: 3\n";
        let docs = split(input);
        assert_eq!(
            docs,
            vec![
                Document {
                    line: 1,
                    text: "a: 1\n"
                },
                Document {
                    line: 3,
                    text: "# c\nb: 2\n"
                },
                Document {
                    line: 8,
                    text: "c: 3\n"
                },
            ]
        );
    }

    #[test]
    fn a_leading_marker_starts_the_first_document() {
        let docs = split("---\nkind: Pod\n");
        assert_eq!(
            docs,
            vec![Document {
                line: 2,
                text: "kind: Pod\n"
            }]
        );
    }

    #[test]
    fn bad_documents_are_errors_with_their_line() {
        let docs = split("apiVersion: v1\nkind: Pod\n---\na: [\n");
        assert!(parse(&docs[0]).unwrap().is_some());
        let e = parse(&docs[1]).unwrap_err();
        assert!(e.starts_with("line "), "{e}");
        let e = parse(&split("- 1\n")[0]).unwrap_err();
        assert!(e.contains("not a mapping"), "{e}");
        let e = parse(&split("apiVersion: v1\n")[0]).unwrap_err();
        assert!(e.contains("'kind'"), "{e}");
    }
}
