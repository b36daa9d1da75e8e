//! Every built module (`dist/*.wasm`, or `$AKS_DIST`) through the harness: the input's first
//! byte picks a module, the rest is split at the first NUL into settings and the `validate`
//! payload. Properties: no trap, timeout or memory-cap hit (a guest error with a message is a
//! clean rejection); a `validate` answer is JSON with `accepted`; settings that
//! `validate_settings` refuses are refused by `validate` too (they never reach the rule).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use host_test::{EvalOptions, Failure, Harness, HarnessConfig, PolicyModule};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn modules() -> &'static Vec<PolicyModule> {
    static MODULES: OnceLock<Vec<PolicyModule>> = OnceLock::new();
    MODULES.get_or_init(|| {
        let dist = std::env::var_os("AKS_DIST")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist"));
        let harness = Harness::new(HarnessConfig {
            cache_dir: None,
            random_seed: Some(11),
            ..HarnessConfig::default()
        })
        .expect("harness");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dist)
            .expect("dist/ exists: run `make dist` first")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        paths.sort();
        let modules: Vec<PolicyModule> = paths
            .iter()
            .map(|p| harness.load_module(p).expect("module loads"))
            .collect();
        assert!(!modules.is_empty(), "no modules in {}", dist.display());
        modules
    })
}

fn clean(what: &str, result: &Result<Vec<u8>, Failure>) -> Option<Value> {
    match result {
        Ok(bytes) => Some(
            serde_json::from_slice(bytes)
                .unwrap_or_else(|e| panic!("{what}: answer is not JSON: {e}")),
        ),
        Err(Failure::Guest { message }) => {
            assert!(!message.trim().is_empty(), "{what}: guest error without a message");
            None
        }
        Err(other) => panic!("{what}: {other}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let modules = modules();
    let module = &modules[usize::from(pick) % modules.len()];
    let (settings, request) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&b"{}"[..], rest),
    };
    let options = EvalOptions::default();
    // Raw bytes first (invalid JSON, invalid UTF-8, duplicate keys): only a clean answer matters.
    clean(module.name(), &module.call("validate_settings", settings, &options).result);
    let (Ok(settings), Ok(request)) = (
        serde_json::from_slice::<Value>(settings),
        serde_json::from_slice::<Value>(request),
    ) else {
        clean(module.name(), &module.call("validate", request, &options).result);
        return;
    };
    // Then as policy-server sends them: re-serialised JSON.
    let settings_bytes = serde_json::to_vec(&settings).expect("serialises");
    let answer = module.call("validate_settings", &settings_bytes, &options);
    let settings_valid = clean(module.name(), &answer.result)
        .and_then(|v| v.get("valid").and_then(Value::as_bool))
        .unwrap_or(false);
    let payload = serde_json::to_vec(&serde_json::json!({"request": request, "settings": settings}))
        .expect("serialises");
    let outcome = module.call("validate", &payload, &options);
    if let Some(answer) = clean(module.name(), &outcome.result) {
        let accepted = answer.get("accepted").and_then(Value::as_bool);
        assert!(accepted.is_some(), "{}: no `accepted` in {answer}", module.name());
        if !settings_valid {
            assert_eq!(accepted, Some(false), "{}: invalid settings reached the rule", module.name());
        }
    }
});
