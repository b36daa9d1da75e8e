//! Reading settings of a TOML document (the Azure Monitor agent keeps its configuration in the
//! `container-azm-ms-agentconfig` ConfigMap as TOML) with a real TOML parser, the way the agent
//! reads it: the agent loads the whole document with a TOML library (`Tomlrb.load_file`) and
//! looks the setting up by its table path, so every spelling TOML allows reaches the same
//! setting — `[a.b]` headers, dotted keys (`b.enabled = false` under `[a]`, or
//! `a.b.enabled = false` at the top), inline tables (`b = { enabled = false }`), quoted and
//! escaped keys (`"enabled"`, `'enabled'`, `"en\u0061bled"`), arrays of tables (`[[a.b]]`),
//! comments and any indentation. A document that does not parse is an error: the caller
//! refuses it, since what the agent would make of it cannot be judged.

use policy_helpers::prelude::*;

use toml::de::{DeTable, DeValue};

/// One value of the setting in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Where it is: the table path and the key, dotted (`log_collection_settings.stdout.enabled`,
    /// with `[i]` for an element of an array of tables).
    pub path: String,
    /// The 1-based line of the value.
    pub line: usize,
    /// The value as text: strings unquoted and unescaped, booleans `true`/`false`, numbers as
    /// written, anything else (arrays, tables, dates) as its TOML type name in angle brackets.
    pub value: String,
}

/// A TOML document that does not parse: the parser's message (with the line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(1, |before| {
        before.bytes().filter(|b| *b == b'\n').count() + 1
    })
}

fn render(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => s.to_string(),
        DeValue::Boolean(b) => b.to_string(),
        DeValue::Integer(i) => i.as_str().to_string(),
        DeValue::Float(f) => f.as_str().to_string(),
        other => format!("<{}>", other.type_str()),
    }
}

fn entry<'t, 'i>(table: &'t DeTable<'i>, key: &str) -> Option<&'t toml::Spanned<DeValue<'i>>> {
    table
        .iter()
        .find(|(k, _)| &**k.get_ref() == key)
        .map(|(_, v)| v)
}

/// Walks `section` (its dot-separated parts) from `table`, collecting `setting` wherever it is.
fn walk(
    text: &str,
    table: &DeTable<'_>,
    section: &[&str],
    setting: &str,
    path: String,
    out: &mut Vec<Found>,
) {
    let Some((first, rest)) = section.split_first() else {
        if let Some(v) = entry(table, setting) {
            out.push(Found {
                path: format!("{path}{setting}"),
                line: line_of(text, v.span().start),
                value: render(v.get_ref()),
            });
        }
        return;
    };
    let Some(v) = entry(table, first) else {
        return;
    };
    match v.get_ref() {
        DeValue::Table(t) => walk(text, t, rest, setting, format!("{path}{first}."), out),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if let DeValue::Table(t) = item.get_ref() {
                    walk(text, t, rest, setting, format!("{path}{first}[{i}]."), out);
                }
            }
        }
        _ => {}
    }
}

/// Every value `setting` has in the table `section` (dot-separated table names, as in a
/// `[section]` header without quotes) of the TOML document `text`.
///
/// # Errors
/// When `text` is not a TOML document (syntax errors, duplicate keys, a table defined twice).
pub fn values(text: &str, section: &str, setting: &str) -> Result<Vec<Found>, ParseError> {
    let doc = DeTable::parse(text).map_err(|e| ParseError(e.to_string().trim().to_string()))?;
    let parts: Vec<&str> = section
        .split('.')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let mut out = Vec::new();
    walk(
        text,
        doc.get_ref(),
        &parts,
        setting,
        String::new(),
        &mut out,
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECTION: &str = "log_collection_settings.stdout";

    fn one(text: &str) -> Vec<(String, usize, String)> {
        values(text, SECTION, "enabled")
            .expect("parses")
            .into_iter()
            .map(|f| (f.path, f.line, f.value))
            .collect()
    }

    fn found(line: usize, value: &str) -> Vec<(String, usize, String)> {
        vec![(
            "log_collection_settings.stdout.enabled".to_string(),
            line,
            value.to_string(),
        )]
    }

    const AMA: &str = r#"
[log_collection_settings]
   [log_collection_settings.stdout]
      # If this setting is set to false, no stdout logs are collected
      enabled = true
      exclude_namespaces = ["kube-system", "gatekeeper-system"]
   [log_collection_settings.stderr]
      enabled = false   # switched off
   [log_collection_settings.env_var]
      "enabled" = 'true'
"#;

    #[test]
    fn reads_by_table() {
        assert_eq!(one(AMA), found(5, "true"));
        let stderr = values(AMA, "log_collection_settings.stderr", "enabled").unwrap();
        assert_eq!(stderr[0].value, "false");
        assert_eq!(stderr[0].line, 8);
        let env = values(AMA, "log_collection_settings.env_var", "enabled").unwrap();
        assert_eq!(env[0].value, "true");
        assert!(
            values(AMA, "log_collection_settings", "enabled")
                .unwrap()
                .is_empty()
        );
        assert!(values(AMA, "other", "enabled").unwrap().is_empty());
    }

    #[test]
    fn every_toml_spelling_reaches_the_setting() {
        for (text, line) in [
            ("[log_collection_settings]\nstdout.enabled = false\n", 2),
            ("log_collection_settings.stdout.enabled = false\n", 1),
            (
                "[log_collection_settings]\nstdout = { enabled = false }\n",
                2,
            ),
            (
                "log_collection_settings = { stdout = { enabled = false } }\n",
                1,
            ),
            (
                "[\"log_collection_settings\" . 'stdout']\n\"en\\u0061bled\" = false\n",
                2,
            ),
            ("[ log_collection_settings.stdout ]\n  'enabled'=false\n", 2),
            (
                "# c\n[log_collection_settings.stdout] # c\nenabled = false # c\n",
                3,
            ),
        ] {
            assert_eq!(one(text), found(line, "false"), "{text}");
        }
    }

    #[test]
    fn values_are_rendered_by_type() {
        assert_eq!(
            one("[log_collection_settings.stdout]\nenabled = \"false\"\n")[0].2,
            "false"
        );
        assert_eq!(
            one("[log_collection_settings.stdout]\nenabled = 0\n")[0].2,
            "0"
        );
        assert_eq!(
            one("[log_collection_settings.stdout]\nenabled = []\n")[0].2,
            "<array>"
        );
        assert_eq!(
            one("[log_collection_settings.stdout]\nenabled = { x = 1 }\n")[0].2,
            "<table>"
        );
    }

    #[test]
    fn arrays_of_tables_are_searched() {
        let v = values("[[a.b]]\nx = 1\n[[a.b]]\nx = 2\n", "a.b", "x").unwrap();
        let got: Vec<(&str, &str)> = v
            .iter()
            .map(|f| (f.path.as_str(), f.value.as_str()))
            .collect();
        assert_eq!(got, vec![("a.b[0].x", "1"), ("a.b[1].x", "2")]);
    }

    #[test]
    fn what_does_not_parse_is_an_error() {
        for bad in [
            // A duplicate key: which one a lenient reader keeps is not knowable.
            "[log_collection_settings.stdout]\nenabled = true\nenabled = false\n",
            // A table defined twice.
            "[log_collection_settings.stdout]\nenabled = true\n[log_collection_settings.stdout]\nx = 1\n",
            // A dotted key redefining a table.
            "[log_collection_settings.stdout]\nenabled = true\n[log_collection_settings]\nstdout.enabled = false\n",
            // Not TOML.
            "[log_collection_settings.stdout\nenabled = true\n",
            "enabled = \n",
        ] {
            assert!(values(bad, SECTION, "enabled").is_err(), "{bad}");
        }
    }
}
