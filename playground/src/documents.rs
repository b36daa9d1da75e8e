//! Multi-document YAML: the documents of the pasted text (split by
//! [`admission::manifest::split_documents`], as the scanner splits files), each read as a
//! Kubernetes object the way the scanner reads it; findings point into the pasted text with
//! each document's first line.

pub use admission::manifest::Document;
use admission::manifest::{check_object, parse_yaml, split_documents, yaml_to_json};
use serde_json::Value;

/// The documents of `input` that have content (documents of blank lines and comments only are
/// left out).
pub fn split(input: &str) -> Vec<Document<'_>> {
    let mut docs = split_documents(input);
    docs.retain(|d| d.content_offset().is_some());
    docs
}

/// Reads one document as a Kubernetes object (merge keys applied, checked as the scanner
/// checks objects): `Ok(None)` for an empty document.
///
/// # Errors
/// When it is not YAML, or not a mapping with string `apiVersion` and `kind`.
pub fn parse(doc: &Document<'_>) -> Result<Option<Value>, String> {
    let yaml = parse_yaml(&doc.text).map_err(|e| match e.location() {
        Some(l) => format!(
            "line {}: {}",
            doc.line + l.line() - 1,
            e.to_string().split(" at line ").next().unwrap_or_default()
        ),
        None => e.to_string(),
    })?;
    let line = doc.content_line().unwrap_or(doc.line);
    match yaml_to_json(yaml).map_err(|e| format!("line {line}: {e}"))? {
        Value::Null => Ok(None),
        value @ Value::Object(_) => check_object(value).map(Some),
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
                    text: "a: 1\n".into()
                },
                Document {
                    line: 3,
                    text: "# c\nb: 2\n".into()
                },
                Document {
                    line: 8,
                    text: "c: 3\n".into()
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
                text: "kind: Pod\n".into()
            }]
        );
    }

    #[test]
    fn content_after_a_marker_keeps_its_line_and_columns() {
        let docs = split("a: 1\n--- {apiVersion: v1, kind: Pod}\n");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].line, 2);
        assert_eq!(docs[1].text, "    {apiVersion: v1, kind: Pod}\n");
        let pod = parse(&docs[1]).unwrap().unwrap();
        assert_eq!(pod["kind"], "Pod");
    }

    #[test]
    fn merge_keys_are_applied_as_the_scanner_applies_them() {
        let docs = split(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  labels: &l {app: a}\n  annotations:\n    <<: *l\n",
        );
        let pod = parse(&docs[0]).unwrap().unwrap();
        assert_eq!(pod.pointer("/metadata/annotations/app"), Some(&"a".into()));
        let e = parse(&split("apiVersion: v1\nkind: Pod\nmetadata: {name: 5}\n")[0]).unwrap_err();
        assert!(e.contains("'metadata.name' must be a string"), "{e}");
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
