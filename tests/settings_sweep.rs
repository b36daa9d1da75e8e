//! Sweeps every built module with a generated set of bad settings. Each must be refused by
//! `validate_settings` (valid: false, never a guest failure) with a message that names the
//! offending key.
//!
//! The keys a module knows are read from its README's `## Settings` section (the backticked
//! names of its table, as `tests/structure.rs` requires them to be documented) and from the
//! settings its own `cases.yaml` uses.

use std::collections::BTreeSet;

use host_test::PolicyModule;
use serde_json::{Map, Value, json};
use workspace_tests::{harness, modules, root};

/// Top-level settings keys documented in the README's `## Settings` table, with the values the
/// policy's own cases give them (when any).
fn known_settings(id: &str) -> (BTreeSet<String>, Vec<Map<String, Value>>) {
    let dir = root().join("policies").join(id);
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
    let mut keys = BTreeSet::new();
    if let Some(start) = readme.find("## Settings") {
        let section = &readme[start + 11..];
        let section = &section[..section.find("\n## ").unwrap_or(section.len())];
        for line in section.lines().filter(|l| l.starts_with("| `")) {
            let name = line[3..].split('`').next().unwrap_or_default();
            let top = name.split(['.', '[']).next().unwrap_or_default();
            if !top.is_empty() && top.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                keys.insert(top.to_owned());
            }
        }
    }
    let mut valid = Vec::new();
    if let Ok(suite) = host_test::load_suite(dir.join("cases.yaml")) {
        for case in &suite.cases {
            let settings = case
                .settings
                .clone()
                .or_else(|| suite.defaults.settings.clone());
            if case.expect.settings_valid != Some(false)
                && let Some(Value::Object(map)) = settings
            {
                keys.extend(map.keys().cloned());
                valid.push(map);
            }
        }
    }
    (keys, valid)
}

/// A value of a different JSON type than `v`, one no sane decoder accepts for it.
fn wrong_types(v: &Value) -> Vec<Value> {
    match v {
        Value::Bool(_) => vec![json!("yes"), json!([true])],
        Value::Number(_) => vec![json!("many"), json!({"n": 1})],
        Value::String(_) => vec![json!(17), json!({"s": "x"})],
        Value::Array(_) => vec![json!(42), json!({"a": 1}), json!(true)],
        Value::Object(_) => vec![json!([1, 2]), json!(3)],
        Value::Null => vec![],
    }
}

fn refused(module: &PolicyModule, settings: &Value) -> Result<String, String> {
    let outcome = module
        .validate_settings(settings)
        .map_err(|e| format!("harness error: {e}"))?;
    if let Some(failure) = outcome.failure {
        return Err(format!("guest failure instead of an answer: {failure}"));
    }
    if outcome.valid {
        return Err("accepted".into());
    }
    Ok(outcome.message.unwrap_or_default())
}

#[test]
fn every_module_refuses_bad_settings_naming_the_key() {
    let harness = harness();
    let mut problems = Vec::new();
    let mut checks = 0usize;
    for (id, module) in modules(&harness) {
        let (keys, valid) = known_settings(&id);
        let mut bad: Vec<(String, Value)> = vec![
            (
                "frobnicateUnknownKey".into(),
                json!({"frobnicateUnknownKey": true}),
            ),
            (
                "exemptions".into(),
                json!({"exemptions": {"frobnicateUnknownKey": []}}),
            ),
            ("exemptions".into(), json!({"exemptions": 5})),
            (
                "namespaces".into(),
                json!({"exemptions": {"namespaces": "kube-system"}}),
            ),
            (
                "namespaces".into(),
                json!({"exemptions": {"namespaces": [""]}}),
            ),
        ];
        // Not an object at all (the harness, like policy-server, never sends one, so the
        // module gets the bytes directly): refused, never a guest failure. (`null` means the
        // defaults, as an absent `settings` does.)
        for not_object in ["[]", "\"x\"", "3", "{", "\u{0}\u{ff}"] {
            checks += 1;
            let outcome = module.call(
                "validate_settings",
                not_object.as_bytes(),
                &Default::default(),
            );
            let answer: Option<Value> = outcome
                .result
                .as_ref()
                .ok()
                .and_then(|b| serde_json::from_slice(b).ok());
            match answer {
                Some(a)
                    if a["valid"] == json!(false)
                        && a["message"].as_str().is_some_and(|m| !m.is_empty()) => {}
                other => problems.push(format!(
                    "{id}: settings bytes {not_object:?}: {other:?} / {:?}",
                    outcome.result.err()
                )),
            }
        }
        let base = valid.first().cloned().unwrap_or_default();
        for key in &keys {
            if key == "exemptions" {
                continue;
            }
            let sample = valid
                .iter()
                .find_map(|m| m.get(key).cloned())
                .unwrap_or(Value::Null);
            for wrong in wrong_types(&sample) {
                let mut settings = base.clone();
                settings.insert(key.clone(), wrong);
                bad.push((key.clone(), Value::Object(settings)));
            }
            // A misspelt key next to the real one.
            let mut settings = base.clone();
            let typo = format!("{key}s");
            if !keys.contains(&typo) {
                settings.insert(typo.clone(), json!(true));
                bad.push((typo, Value::Object(settings)));
            }
        }
        for (key, settings) in bad {
            checks += 1;
            match refused(&module, &settings) {
                Ok(message) if message.contains(&key) => {}
                Ok(message) => problems.push(format!(
                    "{id}: settings {settings} refused, but the message does not name `{key}`: {message}"
                )),
                Err(e) => problems.push(format!("{id}: settings {settings}: {e}")),
            }
        }
    }
    println!("bad settings checked: {checks}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
