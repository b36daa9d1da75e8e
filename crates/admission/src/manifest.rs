//! Manifests -> objects: files, directories and stdin read as multi-document YAML (as
//! `helm template` emits it) or JSON streams, `kind: List` expanded, each object kept with the
//! file and line it starts on (and the `# Source:` template of `helm template` output).

use std::borrow::Cow;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// How stdin is named in reports.
pub const STDIN_NAME: &str = "<stdin>";

/// One Kubernetes object read from a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The file it came from (as given or found; [`STDIN_NAME`] for stdin).
    pub file: String,
    /// 1-based line where its document's content starts (for the items of a `List`, the
    /// line of the `List` document).
    pub line: usize,
    /// The object.
    pub object: Value,
    /// The template a `helm template` document came from: the path of its `# Source:`
    /// comment, when the document has one (the items of a `List` share it).
    pub source: Option<String>,
}

impl Manifest {
    /// `kind` of the object (`""` when missing).
    pub fn kind(&self) -> &str {
        self.object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// `metadata.name` of the object, if any.
    pub fn name(&self) -> Option<&str> {
        self.object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
    }

    /// `apiVersion` of the object (`""` when missing).
    pub fn api_version(&self) -> &str {
        self.object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// A manifest that could not be read or used: unreadable file, invalid YAML or JSON, a
/// document that is not a Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file (or path argument); empty for what concerns the whole scan.
    pub file: String,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            _ if self.file.is_empty() => f.write_str(&self.message),
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl InputError {
    /// A note or problem of the whole scan, not of one file (no location in any report).
    pub fn general(message: String) -> InputError {
        InputError {
            file: String::new(),
            line: None,
            message,
        }
    }

    /// A problem at `file:line`.
    pub fn at(file: &str, line: usize, message: String) -> InputError {
        InputError {
            file: file.to_owned(),
            line: Some(line),
            message,
        }
    }
}

/// The objects read from some inputs, and the problems met on the way.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifests {
    /// Objects, in input order (files in argument order, directories walked in name order).
    pub objects: Vec<Manifest>,
    /// Input errors, in input order.
    pub errors: Vec<InputError>,
    /// YAML documents that are not Kubernetes objects (no `apiVersion` and no `kind`: CI
    /// workflows, Helm values, kustomize patches and configuration), skipped.
    pub skipped: Vec<InputError>,
    /// Inputs reported once instead of scanned (Go templates, Helm charts) or read in a
    /// particular way (a kustomization not rendered), for the scan's warnings.
    pub notes: Vec<InputError>,
    /// Information only, nothing to act on (e.g. a kustomization rendered): the scan's notes.
    pub info: Vec<InputError>,
}

impl Manifests {
    /// Appends `other`.
    pub fn extend(&mut self, other: Manifests) {
        self.objects.extend(other.objects);
        self.errors.extend(other.errors);
        self.skipped.extend(other.skipped);
        self.notes.extend(other.notes);
        self.info.extend(other.info);
    }

    /// One line summing up [`Manifests::skipped`] (`None` when nothing was skipped):
    /// how many documents in how many files, naming the first files.
    pub fn skipped_summary(&self) -> Option<String> {
        skipped_summary(&self.skipped)
    }
}

/// One line summing up skipped documents: how many, in how many files, the first files named.
pub fn skipped_summary(skipped: &[InputError]) -> Option<String> {
    if skipped.is_empty() {
        return None;
    }
    let mut files: Vec<&str> = Vec::new();
    for s in skipped {
        if !files.contains(&s.file.as_str()) {
            files.push(&s.file);
        }
    }
    const SHOWN: usize = 5;
    let mut named = files
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if files.len() > SHOWN {
        named.push_str(&format!(" and {} more", files.len() - SHOWN));
    }
    Some(format!(
        "skipped {} YAML {} (no apiVersion and kind: workflows, values, patches, kustomize configuration) in {} file{}: {named}",
        skipped.len(),
        if skipped.len() == 1 {
            "document that is not a Kubernetes object"
        } else {
            "documents that are not Kubernetes objects"
        },
        files.len(),
        if files.len() == 1 { "" } else { "s" },
    ))
}

/// The API group of kustomize's own configuration kinds (`Kustomization`, `Component`): inputs
/// of a render, never objects of a cluster.
pub const KUSTOMIZE_GROUP: &str = "kustomize.config.k8s.io";

/// Whether `text` is a Go template (as Helm chart templates are) rather than YAML: it holds a
/// template action that YAML would not hold as data, `{{-`, `-}}`, or `{{` followed by a
/// template keyword or a `.Values`/`.Release`/`.Chart`/`.Capabilities`/`.Files`/`$` reference.
/// (A `{{ ... }}` inside a quoted YAML string, as in alerting rules, is data and does not count
/// unless it uses those forms.)
pub fn is_go_template(text: &str) -> bool {
    const STARTS: &[&str] = &[
        "if ",
        "else",
        "end",
        "range ",
        "with ",
        "define ",
        "include ",
        "template ",
        "toYaml",
        "tpl ",
        "required ",
        "default ",
        "block ",
        ".Values",
        ".Release",
        ".Chart",
        ".Capabilities",
        ".Files",
        ".Template",
        "$",
    ];
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .any(|line| {
            line.contains("{{-")
                || line.contains("-}}")
                || line.match_indices("{{").any(|(at, _)| {
                    let rest = line[at + 2..].trim_start();
                    STARTS.iter().any(|s| rest.starts_with(s))
                })
        })
}

/// Whether a directory entry is a manifest file (`*.yaml`, `*.yml`, `*.json`, any case).
pub fn is_manifest_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["yaml", "yml", "json"].contains(&e.to_ascii_lowercase().as_str()))
}

fn is_json_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// The entries of directory `dir` in name order, hidden ones (name starting with `.`) left
/// out; an unreadable directory is an [`InputError`] naming it.
///
/// # Errors
/// When `dir` cannot be read.
fn sorted_entries(dir: &Path) -> Result<Vec<std::fs::DirEntry>, InputError> {
    let entries = std::fs::read_dir(dir).map_err(|e| InputError {
        file: dir.display().to_string(),
        line: None,
        message: format!("cannot read directory: {e}"),
    })?;
    let mut entries: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .collect();
    entries.sort_by_key(|entry| entry.file_name());
    Ok(entries)
}

/// Walks `dir` recursively in name order and collects its manifest files
/// ([`is_manifest_file`]) into `files`. Hidden files and directories are skipped, symbolic
/// links to directories are not followed, and unreadable directories become `errors`.
/// `enter` is called with every directory (`dir` included) before it is read and says whether
/// to walk it (the scanner notes Helm charts there instead, and records kustomizations).
pub fn walk_manifest_files(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<InputError>,
    enter: &mut dyn FnMut(&Path) -> bool,
) {
    if !enter(dir) {
        return;
    }
    let entries = match sorted_entries(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(e);
            return;
        }
    };
    for entry in entries {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            walk_manifest_files(&path, files, errors, enter);
        } else if is_manifest_file(&path) && path.is_file() {
            files.push(path);
        }
    }
}

/// Reads the manifests of `paths`: files (whatever their extension), directories (their
/// `*.yaml`, `*.yml` and `*.json` files, recursively) and `-` for stdin (read once).
/// Nothing fails: problems become [`InputError`]s and the rest is still read.
pub fn read_manifests(paths: &[PathBuf]) -> Manifests {
    let mut out = Manifests::default();
    let mut stdin_read = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if stdin_read {
                continue;
            }
            stdin_read = true;
            let mut text = String::new();
            match std::io::stdin().read_to_string(&mut text) {
                Ok(_) => {
                    let json = text.trim_start().starts_with(['{', '[']);
                    out.extend(parse_manifests(&text, STDIN_NAME, json));
                }
                Err(e) => out.errors.push(InputError {
                    file: STDIN_NAME.to_owned(),
                    line: None,
                    message: format!("cannot read: {e}"),
                }),
            }
            continue;
        }
        let files = if path.is_dir() {
            let mut files = Vec::new();
            walk_manifest_files(path, &mut files, &mut out.errors, &mut |_| true);
            files
        } else {
            vec![path.clone()]
        };
        for file in files {
            out.extend(read_manifest_file(&file));
        }
    }
    out
}

/// Reads one manifest file (JSON when its extension is `.json`, YAML otherwise).
pub fn read_manifest_file(path: &Path) -> Manifests {
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => parse_manifests(&text, &name, is_json_file(path)),
        Err(e) => Manifests {
            errors: vec![InputError {
                file: name,
                line: None,
                message: format!("cannot read: {e}"),
            }],
            ..Manifests::default()
        },
    }
}

/// Parses manifest text from `file`: a stream of JSON values when `json`, else
/// multi-document YAML. A leading byte order mark is ignored; a file that is a Go template is
/// not parsed but noted ([`Manifests::notes`]). Empty documents are skipped, and so are
/// documents that are not Kubernetes objects (not a mapping, or neither `apiVersion` nor
/// `kind`) and kustomize configuration ([`Manifests::skipped`]); `List` documents are
/// expanded; every other document must be a mapping with a string `apiVersion` and `kind`.
pub fn parse_manifests(text: &str, file: &str, json: bool) -> Manifests {
    let mut out = Manifests::default();
    // A UTF-8 byte order mark (editors on Windows write one) is not content: kubectl's YAML
    // reader (sigs.k8s.io/yaml over go-yaml) and Go's JSON decoder both skip it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !json && is_go_template(text) {
        out.notes.push(InputError {
            file: file.to_owned(),
            line: None,
            message: "a Go template (a Helm chart template?), not scanned: render it first, e.g. \
                      `helm template RELEASE CHART | aks-scan -`"
                .to_owned(),
        });
        return out;
    }
    let documents = if json {
        json_documents(text, file, &mut out.errors)
    } else {
        yaml_documents(text, file, &mut out.errors)
    };
    for (line, source, value) in documents {
        add_document(value, file, line, source, &mut out);
    }
    out
}

/// The documents of a JSON stream with the line each starts on; stops at the first error.
fn json_documents(
    text: &str,
    file: &str,
    errors: &mut Vec<InputError>,
) -> Vec<(usize, Option<String>, Value)> {
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let offset = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                let rest = &text[offset..];
                let start = offset + (rest.len() - rest.trim_start().len());
                out.push((line_of(text, start), None, value));
            }
            Some(Err(e)) => {
                errors.push(InputError {
                    file: file.to_owned(),
                    line: Some(e.line().max(1)),
                    message: format!("invalid JSON: {e}"),
                });
                break;
            }
        }
    }
    out
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].bytes().filter(|b| *b == b'\n').count() + 1
}

/// Whether `line` (without its `\n`) is the YAML document marker `marker` (`---` or `...`),
/// alone or followed by whitespace; the marker's length when it is. (libyaml, which
/// `serde_yaml` parses with, takes a marker only when a blank, a line break or the end follows
/// it: `---#` is not one.)
fn is_marker(line: &str, marker: &str) -> Option<usize> {
    let rest = line.strip_prefix(marker)?;
    (rest.is_empty() || rest.starts_with([' ', '\t', '\r'])).then_some(marker.len())
}

/// Whether a line carries no content (blank, comment or directive).
fn is_blank(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.is_empty() || trimmed.starts_with('#') || line.starts_with('%')
}

/// One document of a YAML stream, as [`split_documents`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document<'a> {
    /// 1-based line, in the whole stream, of the first line of `text`.
    pub line: usize,
    /// The document's source text: the lines between its markers, borrowed from the stream.
    /// When something follows the `---` marker on its line (`--- {a: 1}`, `--- # note`),
    /// `text` starts with that line, the marker blanked so that the rest keeps its columns.
    pub text: Cow<'a, str>,
}

impl Document<'_> {
    /// How many lines of `text` come before its content (blank lines, comments, directives);
    /// `None` when the document has no content.
    pub fn content_offset(&self) -> Option<usize> {
        self.text.split('\n').position(|line| !is_blank(line))
    }

    /// 1-based line, in the whole stream, where the content starts (`None` when empty).
    pub fn content_line(&self) -> Option<usize> {
        self.content_offset().map(|offset| self.line + offset)
    }
}

/// Splits a YAML stream at its `---` and `...` markers (a marker at the start of a line is
/// always a document boundary in YAML, even inside a block scalar), keeping each document's
/// text and the line it starts on. Empty documents are kept (see
/// [`Document::content_offset`]).
pub fn split_documents(text: &str) -> Vec<Document<'_>> {
    let document = |start: usize, end: usize, line: usize, head: Option<String>| Document {
        line,
        text: match head {
            Some(head) => Cow::Owned(head + &text[start..end]),
            None => Cow::Borrowed(&text[start..end]),
        },
    };
    let mut out = Vec::new();
    let (mut start, mut line, mut head) = (0, 1, None);
    let mut offset = 0;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let end = offset + raw.len();
        let bare = raw.strip_suffix('\n').unwrap_or(raw);
        let marker = is_marker(bare, "---").map(|len| (len, true));
        if let Some((len, opens)) = marker.or_else(|| is_marker(bare, "...").map(|l| (l, false))) {
            out.push(document(start, offset, line, head.take()));
            let rest = &bare[len..];
            if opens && !rest.trim().is_empty() {
                // Content may follow the marker on its line (`--- {a: 1}`); keep its columns.
                head = Some(format!("{}{rest}\n", " ".repeat(len)));
                line = index + 1;
            } else {
                line = index + 2;
            }
            start = end;
        }
        offset = end;
    }
    out.push(document(start, text.len(), line, head));
    out
}

/// The path of a `# Source: <path>` comment (as `helm template` writes before each
/// document) among the lines before a document's content.
fn helm_source<'a>(mut lines: impl Iterator<Item = &'a str>) -> Option<String> {
    lines.find_map(|line| {
        let path = line
            .trim()
            .strip_prefix('#')?
            .trim()
            .strip_prefix("Source:")?;
        let path = path.trim();
        (!path.is_empty()).then(|| path.to_owned())
    })
}

/// The non-empty documents of a YAML stream with the line their content starts on and their
/// `# Source:` path.
fn yaml_documents(
    text: &str,
    file: &str,
    errors: &mut Vec<InputError>,
) -> Vec<(usize, Option<String>, Value)> {
    let mut out = Vec::new();
    for chunk in split_documents(text) {
        let Some(offset) = chunk.content_offset() else {
            continue;
        };
        let source = helm_source(chunk.text.split('\n').take(offset));
        let start = chunk.line + offset;
        let error = |line: usize, message: String| InputError {
            file: file.to_owned(),
            line: Some(line),
            message,
        };
        match parse_yaml(&chunk.text) {
            Ok(value) => match yaml_to_json(value) {
                Ok(Value::Null) => {}
                Ok(value) => out.push((start, source, value)),
                Err(message) => errors.push(error(start, format!("invalid YAML: {message}"))),
            },
            Err(_) => {
                // Parse again with the lines before the document blanked, so that the
                // parser's own positions are those of the file.
                let padded = format!("{}{}", "\n".repeat(chunk.line - 1), chunk.text);
                let Err(e) = parse_yaml(&padded) else {
                    continue;
                };
                let line = e.location().map_or(start, |l| l.line().max(start));
                errors.push(error(line, format!("invalid YAML: {e}")));
            }
        }
    }
    out
}

/// Parses one YAML document with its merge keys (`<<: *anchor`) applied, as go-yaml
/// (under kubectl's `sigs.k8s.io/yaml`) applies them; convert it with [`yaml_to_json`].
///
/// # Errors
/// serde_yaml's, with its position in `text`.
pub fn parse_yaml(text: &str) -> Result<serde_yaml::Value, serde_yaml::Error> {
    let mut value = serde_yaml::from_str::<serde_yaml::Value>(text)?;
    value.apply_merge()?;
    Ok(value)
}

/// A YAML value as JSON, as `sigs.k8s.io/yaml` converts it for kubectl: scalar keys become
/// strings, tags are dropped.
pub fn yaml_to_json(value: serde_yaml::Value) -> Result<Value, String> {
    use serde_yaml::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| format!("the number {n} cannot be represented in JSON"))?
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(mapping) => {
            let mut out = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".to_owned(),
                    _ => return Err("a mapping key is not a scalar".to_owned()),
                };
                out.insert(key, yaml_to_json(value)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => yaml_to_json(tagged.value)?,
    })
}

fn add_document(
    value: Value,
    file: &str,
    line: usize,
    source: Option<String>,
    out: &mut Manifests,
) {
    let error = |message: String| InputError {
        file: file.to_owned(),
        line: Some(line),
        message,
    };
    let Value::Object(object) = value else {
        out.skipped
            .push(error("document is not a mapping".to_owned()));
        return;
    };
    if !object.contains_key("apiVersion") && !object.contains_key("kind") {
        out.skipped
            .push(error("no apiVersion and no kind".to_owned()));
        return;
    }
    if object
        .get("apiVersion")
        .and_then(Value::as_str)
        .is_some_and(|v| crate::kinds::api_group(v) == KUSTOMIZE_GROUP)
    {
        out.skipped
            .push(error("kustomize configuration".to_owned()));
        return;
    }
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind == "List" || (kind.ends_with("List") && object.contains_key("items")) {
        let items = match object.get("items") {
            Some(Value::Array(items)) => items.clone(),
            None | Some(Value::Null) => Vec::new(),
            Some(_) => {
                out.errors
                    .push(error(format!("'items' of a {kind} must be a list")));
                return;
            }
        };
        for (index, item) in items.into_iter().enumerate() {
            match check_object(item) {
                Ok(object) => out.objects.push(Manifest {
                    file: file.to_owned(),
                    line,
                    object,
                    source: source.clone(),
                }),
                Err(problem) => out.errors.push(error(format!(
                    "item {} of the {kind}: {problem}",
                    index + 1
                ))),
            }
        }
        return;
    }
    match check_object(Value::Object(object)) {
        Ok(object) => out.objects.push(Manifest {
            file: file.to_owned(),
            line,
            object,
            source,
        }),
        Err(problem) => out.errors.push(error(problem)),
    }
}

/// Checks that `value` is a Kubernetes object as the API server takes one: a mapping with a
/// string `apiVersion` and `kind`, a mapping (or no) `metadata`, and a string (or no)
/// `metadata.namespace` and `metadata.name`.
///
/// # Errors
/// A message saying what is wrong.
pub fn check_object(value: Value) -> Result<Value, String> {
    let Some(object) = value.as_object() else {
        return Err("not a mapping".to_owned());
    };
    if !object.get("apiVersion").is_some_and(Value::is_string) {
        return Err("not a Kubernetes object: no string 'apiVersion'".to_owned());
    }
    if !object.get("kind").is_some_and(Value::is_string) {
        return Err("not a Kubernetes object: no string 'kind'".to_owned());
    }
    match object.get("metadata") {
        None | Some(Value::Null | Value::Object(_)) => {}
        Some(_) => return Err("'metadata' must be a mapping".to_owned()),
    }
    if object
        .get("metadata")
        .and_then(|m| m.get("namespace"))
        .is_some_and(|ns| !ns.is_string() && !ns.is_null())
    {
        return Err("'metadata.namespace' must be a string".to_owned());
    }
    if object
        .get("metadata")
        .and_then(|m| m.get("name"))
        .is_some_and(|n| !n.is_string() && !n.is_null())
    {
        return Err("'metadata.name' must be a string".to_owned());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, text) of each document.
    fn split(text: &str) -> Vec<(usize, String)> {
        split_documents(text)
            .into_iter()
            .map(|d| (d.line, d.text.into_owned()))
            .collect()
    }

    fn docs(expected: &[(usize, &str)]) -> Vec<(usize, String)> {
        expected
            .iter()
            .map(|(l, t)| (*l, (*t).to_owned()))
            .collect()
    }

    #[test]
    fn documents_keep_their_source_text_and_first_line() {
        let text = "a: 1\n---\n# c\nb: 2\n--- # x\nc: 3\n...\nd: 4";
        assert_eq!(
            split(text),
            docs(&[
                (1, "a: 1\n"),
                (3, "# c\nb: 2\n"),
                (5, "    # x\nc: 3\n"),
                (8, "d: 4"),
            ])
        );
        let found = split_documents(text);
        // The stream's own text, unless a marker line had to be blanked.
        assert!(matches!(found[1].text, Cow::Borrowed("# c\nb: 2\n")));
        assert!(matches!(found[2].text, Cow::Owned(_)));
        assert_eq!(found[1].content_line(), Some(4));
        assert_eq!(found[2].content_line(), Some(6));
    }

    #[test]
    fn markers_are_what_libyaml_takes_as_markers() {
        // `---#` and `----` are content; `---\r` (CRLF) and a leading marker are markers.
        assert_eq!(split("---#x\n----\n").len(), 1);
        assert_eq!(
            split("---\r\na: 1\r\n--- {b: 2}\r\n"),
            docs(&[(1, ""), (2, "a: 1\r\n"), (3, "    {b: 2}\r\n")])
        );
        let empty = split_documents("---\n# only a comment\n\n");
        assert_eq!(empty.len(), 2);
        assert!(empty.iter().all(|d| d.content_offset().is_none()));
    }

    #[test]
    fn content_after_a_marker_is_parsed_in_place() {
        let out = parse_manifests("--- {apiVersion: v1, kind: Pod}\n", "f", false);
        assert_eq!(out.objects.len(), 1);
        assert_eq!(out.objects[0].line, 1);
        let out = parse_manifests("a: 1\n---\nkind: [\n", "f", false);
        assert_eq!(out.errors.len(), 1);
        assert!(
            out.errors[0].message.starts_with("invalid YAML"),
            "{:?}",
            out.errors
        );
    }
}
