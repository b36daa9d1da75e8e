//! The JavaScript interface (`wasm-bindgen`). Every function takes and returns strings (JSON
//! or YAML) so the page needs no generated type glue beyond the module loader.

use serde_json::{Value, json};
use wasm_bindgen::prelude::wasm_bindgen;

use crate::registry;

fn annotation(metadata: &str, key: &str) -> Value {
    serde_yaml::from_str::<Value>(metadata)
        .ok()
        .and_then(|m| m.get("annotations").and_then(|a| a.get(key)).cloned())
        .unwrap_or(Value::Null)
}

/// The bundle as the page lists it: policies (id, controls, catalogue row, severity, title,
/// description), profiles (name, description, selection, policies in monitor mode) and the
/// example manifests.
#[wasm_bindgen]
pub fn catalogue() -> String {
    let policies: Vec<Value> = registry::MODULES
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "controls": m.controls,
                "row": annotation(m.metadata, "io.aks-baseline-policies/catalogue-row"),
                "severity": annotation(m.metadata, "io.aks-baseline-policies/severity"),
                "title": annotation(m.metadata, "io.artifacthub.displayName"),
                "description": annotation(m.metadata, "io.kubewarden.policy.description"),
            })
        })
        .collect();
    let profiles: Vec<Value> = registry::PROFILES
        .iter()
        .map(|p| {
            let description = serde_yaml::from_str::<Value>(p.text)
                .ok()
                .and_then(|v| v.get("description").cloned())
                .unwrap_or(Value::Null);
            match crate::profile_selection(p.name) {
                Ok((selection, monitor)) => json!({
                    "name": p.name, "description": description,
                    "selection": selection, "monitor": monitor,
                }),
                Err(e) => json!({"name": p.name, "error": e}),
            }
        })
        .collect();
    let examples: Vec<Value> = registry::EXAMPLES
        .iter()
        .map(|e| json!({"name": e.name, "text": e.text}))
        .collect();
    json!({"policies": policies, "profiles": profiles, "examples": examples}).to_string()
}

/// Evaluates `manifests` (multi-document YAML) against `selection` (YAML mapping: policy id to
/// settings); `options` is JSON with optional `namespace`, `username`, `groups`. Returns the
/// report as JSON, or `{"error": …}` when the selection or options are unusable.
#[wasm_bindgen]
pub fn evaluate(manifests: &str, selection: &str, options: &str) -> String {
    let selected = match crate::parse_selection(selection) {
        Ok(s) => s,
        Err(e) => return json!({"error": e}).to_string(),
    };
    let mut defaults = crate::defaults();
    if !options.trim().is_empty() {
        let o: Value = match serde_json::from_str(options) {
            Ok(o) => o,
            Err(e) => return json!({"error": format!("options: {e}")}).to_string(),
        };
        if let Some(ns) = o
            .get("namespace")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            ns.clone_into(&mut defaults.namespace);
        }
        if let Some(u) = o
            .get("username")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            u.clone_into(&mut defaults.username);
        }
        if let Some(g) = o.get("groups").and_then(Value::as_array) {
            defaults.groups = g
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
        }
    }
    serde_json::to_string(&crate::run(manifests, &selected, &defaults))
        .unwrap_or_else(|e| json!({"error": e.to_string()}).to_string())
}
