//! Validation of the scanner's SARIF and JUnit reports against the vendored schemas of
//! `tests/data/schemas` (origins and licences in its README): SARIF with the `jsonschema`
//! crate, JUnit with `xmllint --schema` (libxml2-utils; required when
//! `HOST_TEST_REQUIRE_XMLLINT=1`, as `make test` sets it) plus a structural check in Rust
//! of the same schema's rules and of the counts, which runs everywhere.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::data_dir;

/// Problems of `sarif` against the official SARIF 2.1.0 JSON schema (empty when valid).
pub fn sarif_problems(sarif: &str) -> Vec<String> {
    let schema_path = data_dir().join("schemas/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(&schema_path).expect("the vendored SARIF schema"),
    )
    .expect("the SARIF schema is JSON");
    let instance: Value = match serde_json::from_str(sarif) {
        Ok(value) => value,
        Err(e) => return vec![format!("not JSON: {e}")],
    };
    // The official schema's `language` patterns (of `run` and `toolComponent`) end in a
    // stray `]` (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`), which the validator's ECMA-262
    // check of the schema itself refuses. The reports never set `language`; the pattern is
    // replaced in memory by the one it means, and the vendored file stays as published.
    let mut schema = schema;
    let mut replaced = 0;
    fix_language_patterns(&mut schema, &mut replaced);
    assert_eq!(replaced, 2, "the vendored SARIF schema changed");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn fix_language_patterns(value: &mut Value, replaced: &mut usize) {
    match value {
        Value::Object(map) => {
            if map.get("pattern").and_then(Value::as_str)
                == Some("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$")
            {
                map.insert(
                    "pattern".to_owned(),
                    Value::String("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".to_owned()),
                );
                *replaced += 1;
            }
            map.values_mut()
                .for_each(|v| fix_language_patterns(v, replaced));
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| fix_language_patterns(v, replaced)),
        _ => {}
    }
}

/// Asserts that `sarif` is valid SARIF 2.1.0.
pub fn assert_valid_sarif(sarif: &str) {
    let problems = sarif_problems(sarif);
    assert!(problems.is_empty(), "invalid SARIF: {problems:#?}\n{sarif}");
}

/// Problems `xmllint --schema junit-10.xsd` finds, `None` when xmllint is not installed
/// (then a panic if `HOST_TEST_REQUIRE_XMLLINT=1`).
pub fn xmllint_problems(xml: &str) -> Option<Vec<String>> {
    let schema = data_dir().join("schemas/junit-10.xsd");
    let child = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            if std::env::var("HOST_TEST_REQUIRE_XMLLINT").as_deref() == Ok("1") {
                panic!("xmllint is required (HOST_TEST_REQUIRE_XMLLINT=1) but cannot run: {e}");
            }
            eprintln!("note: xmllint not found ({e}); JUnit checked structurally only");
            return None;
        }
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(xml.as_bytes())
        .expect("writes to xmllint");
    let output = child.wait_with_output().expect("xmllint ends");
    if output.status.success() {
        Some(Vec::new())
    } else {
        Some(
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .map(str::to_owned)
                .collect(),
        )
    }
}

/// One element of a parsed XML document.
#[derive(Debug, Default)]
pub struct Element {
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    pub children: Vec<Element>,
    pub text: String,
}

fn unescape(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let end = rest[amp..]
            .find(';')
            .ok_or_else(|| format!("unterminated entity in {rest:?}"))?;
        let entity = &rest[amp + 1..amp + end];
        out.push(match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = entity
                    .strip_prefix("#x")
                    .map(|h| u32::from_str_radix(h, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                    .ok_or_else(|| format!("unknown entity &{entity};"))?
                    .map_err(|e| format!("bad character reference &{entity};: {e}"))?;
                char::from_u32(code).ok_or_else(|| format!("bad character &{entity};"))?
            }
        });
        rest = &rest[amp + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A small XML parser for the reports (elements, double- or single-quoted attributes,
/// text, character references, an XML declaration; no DTD, CDATA or comments).
pub fn parse_xml(xml: &str) -> Result<Element, String> {
    let mut rest = xml.trim_start();
    if let Some(after) = rest.strip_prefix("<?xml") {
        let end = after.find("?>").ok_or("unterminated XML declaration")?;
        rest = after[end + 2..].trim_start();
    }
    let (root, tail) = parse_element(rest)?;
    if !tail.trim().is_empty() {
        return Err(format!("content after the root element: {:?}", tail.trim()));
    }
    Ok(root)
}

fn parse_element(input: &str) -> Result<(Element, &str), String> {
    let input = input
        .strip_prefix('<')
        .ok_or_else(|| format!("expected an element at {:?}", &input[..input.len().min(40)]))?;
    let name_end = input
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .ok_or("unterminated tag")?;
    let mut element = Element {
        name: input[..name_end].to_owned(),
        ..Element::default()
    };
    let mut rest = &input[name_end..];
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("/>") {
            return Ok((element, after));
        }
        if let Some(after) = rest.strip_prefix('>') {
            rest = after;
            break;
        }
        let eq = rest.find('=').ok_or("attribute without '='")?;
        let key = rest[..eq].trim().to_owned();
        let value_part = rest[eq + 1..].trim_start();
        let quote = value_part.chars().next().ok_or("attribute without value")?;
        if quote != '"' && quote != '\'' {
            return Err(format!("unquoted attribute {key}"));
        }
        let end = value_part[1..]
            .find(quote)
            .ok_or_else(|| format!("unterminated attribute {key}"))?;
        let raw = &value_part[1..1 + end];
        if raw.contains('<') {
            return Err(format!("raw '<' in attribute {key}"));
        }
        if element
            .attributes
            .insert(key.clone(), unescape(raw)?)
            .is_some()
        {
            return Err(format!("attribute {key} given twice"));
        }
        rest = &value_part[end + 2..];
    }
    loop {
        let lt = rest
            .find('<')
            .ok_or_else(|| format!("unclosed <{}>", element.name))?;
        element.text.push_str(&unescape(&rest[..lt])?);
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("</") {
            let gt = after.find('>').ok_or("unterminated end tag")?;
            if after[..gt].trim() != element.name {
                return Err(format!("<{}> closed by </{}>", element.name, &after[..gt]));
            }
            return Ok((element, &after[gt + 1..]));
        }
        let (child, after) = parse_element(rest)?;
        element.children.push(child);
        rest = after;
    }
}

/// The rules of `junit-10.xsd` for the elements the scanner writes: allowed and required
/// attributes and allowed children.
fn rules(
    name: &str,
) -> Option<(
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
)> {
    Some(match name {
        "testsuites" => (
            &["name", "time", "tests", "failures", "errors"],
            &[],
            &["testsuite"],
        ),
        "testsuite" => (
            &[
                "name",
                "tests",
                "failures",
                "errors",
                "group",
                "time",
                "skipped",
                "timestamp",
                "hostname",
                "id",
                "package",
                "file",
                "log",
                "url",
                "version",
            ],
            &["name", "tests", "failures", "errors"],
            &[
                "testsuite",
                "properties",
                "testcase",
                "system-out",
                "system-err",
            ],
        ),
        "properties" => (&[], &[], &["property"]),
        "property" => (&["name", "value"], &["name", "value"], &[]),
        "testcase" => (
            &["name", "time", "classname", "group"],
            &["name"],
            &["skipped", "error", "failure", "system-out", "system-err"],
        ),
        "failure" | "error" | "skipped" => (&["type", "message"], &[], &[]),
        "system-out" | "system-err" => (&[], &[], &[]),
        _ => return None,
    })
}

fn check(element: &Element, problems: &mut Vec<String>) {
    let Some((allowed, required, children)) = rules(&element.name) else {
        problems.push(format!("element <{}> is not in the schema", element.name));
        return;
    };
    for key in element.attributes.keys() {
        if !allowed.contains(&key.as_str()) {
            problems.push(format!(
                "<{}> has attribute {key} the schema does not allow",
                element.name
            ));
        }
    }
    for key in required {
        if !element.attributes.contains_key(*key) {
            problems.push(format!(
                "<{}> lacks the required attribute {key}",
                element.name
            ));
        }
    }
    for child in &element.children {
        if !children.contains(&child.name.as_str()) {
            problems.push(format!(
                "<{}> may not contain <{}>",
                element.name, child.name
            ));
        }
        check(child, problems);
    }
}

fn count(element: &Element, name: &str) -> usize {
    element
        .children
        .iter()
        .map(|c| usize::from(c.name == name) + count(c, name))
        .sum()
}

fn number(element: &Element, key: &str) -> Option<usize> {
    element.attributes.get(key).and_then(|v| v.parse().ok())
}

/// Structural problems of a JUnit report: the schema's element and attribute rules, a
/// `testsuites` root, and counts (`tests`, `failures`, `errors`, `skipped`) that agree with
/// the elements.
pub fn junit_structure_problems(xml: &str) -> Vec<String> {
    let root = match parse_xml(xml) {
        Ok(root) => root,
        Err(e) => return vec![format!("not well-formed: {e}")],
    };
    let mut problems = Vec::new();
    if root.name != "testsuites" {
        problems.push(format!("root is <{}>, not <testsuites>", root.name));
    }
    check(&root, &mut problems);
    for scope in std::iter::once(&root).chain(root.children.iter()) {
        for (attribute, element) in [
            ("tests", "testcase"),
            ("failures", "failure"),
            ("errors", "error"),
            ("skipped", "skipped"),
        ] {
            if scope.attributes.contains_key(attribute)
                && number(scope, attribute) != Some(count(scope, element))
            {
                problems.push(format!(
                    "<{} name={:?}> says {attribute}={:?} but has {} <{element}>",
                    scope.name,
                    scope.attributes.get("name"),
                    scope.attributes.get(attribute),
                    count(scope, element)
                ));
            }
        }
    }
    problems
}

/// Asserts that `xml` is a valid JUnit report (xmllint against the schema when available,
/// and always the structural check).
pub fn assert_valid_junit(xml: &str) {
    let structure = junit_structure_problems(xml);
    assert!(structure.is_empty(), "invalid JUnit: {structure:#?}\n{xml}");
    if let Some(problems) = xmllint_problems(xml) {
        assert!(problems.is_empty(), "xmllint: {problems:#?}\n{xml}");
    }
}

/// Problems of `sbom` against the CycloneDX 1.5 JSON schema (empty when valid). The schema's
/// references to its SPDX licence list and JSF signature parts are served from the vendored
/// files of `tests/data/schemas/cyclonedx`, never fetched.
pub fn cyclonedx_problems(sbom: &[u8]) -> Vec<String> {
    struct Vendored;
    impl jsonschema::Retrieve for Vendored {
        fn retrieve(
            &self,
            uri: &jsonschema::Uri<String>,
        ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
            let name = uri.path().as_str().rsplit('/').next().unwrap_or_default();
            let path = data_dir().join("schemas/cyclonedx").join(name);
            Ok(serde_json::from_str(&std::fs::read_to_string(&path)?)?)
        }
    }
    let dir = data_dir().join("schemas/cyclonedx");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("bom-1.5.SNAPSHOT.schema.json"))
            .expect("the vendored CycloneDX schema"),
    )
    .expect("the CycloneDX schema is JSON");
    let instance: Value = match serde_json::from_slice(sbom) {
        Ok(value) => value,
        Err(e) => return vec![format!("not JSON: {e}")],
    };
    let validator = jsonschema::options()
        .with_retriever(Vendored)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the CycloneDX schema compiles");
    validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}
