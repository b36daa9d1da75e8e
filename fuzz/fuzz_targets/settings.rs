//! Settings of every built module (`dist/*.wasm`, or `$AKS_DIST`) through the harness: the
//! input's first byte picks a module, the rest is its settings (JSON text, as policy-server
//! reads them from a ClusterAdmissionPolicy). Properties:
//! - `validate_settings` always answers: never a trap, timeout or memory-cap hit, also on
//!   bytes that are not JSON;
//! - settings it refuses come with a message, and `validate` with them and a request the
//!   module's own suite accepts is refused with code 500 and `invalid settings` (invalid
//!   settings never reach the rule);
//! - settings it accepts evaluate that request without a trap, and the answer carries the
//!   request's uid.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use host_test::{EvalOptions, Failure, Harness, HarnessConfig, PolicyModule, load_request};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

struct Target {
    module: PolicyModule,
    request: Option<Value>,
}

/// The first CREATE request of `policies/<id>/requests/` (sorted by file name).
fn create_request(root: &Path, id: &str) -> Option<Value> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(root.join("policies").join(id).join("requests"))
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
    files.sort();
    files
        .iter()
        .filter_map(|f| load_request(f).ok())
        .find(|r| r.get("operation").and_then(Value::as_str) == Some("CREATE"))
}

fn targets() -> &'static Vec<Target> {
    static TARGETS: OnceLock<Vec<Target>> = OnceLock::new();
    TARGETS.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let dist = std::env::var_os("AKS_DIST")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("dist"));
        let harness = Harness::new(HarnessConfig {
            cache_dir: HarnessConfig::default_cache_dir(&root),
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
        let targets: Vec<Target> = paths
            .iter()
            .map(|p| {
                let id = p.file_stem().unwrap_or_default().to_string_lossy();
                Target {
                    module: harness.load_module(p).expect("module loads"),
                    request: create_request(&root, &id),
                }
            })
            .collect();
        assert!(!targets.is_empty(), "no modules in {}", dist.display());
        targets
    })
}

fn no_crash(name: &str, failure: Option<&Failure>) {
    match failure {
        None => {}
        Some(Failure::Guest { message }) => {
            assert!(
                !message.trim().is_empty(),
                "{name}: guest error without a message"
            );
        }
        Some(other) => panic!("{name}: {other}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    let targets = targets();
    let target = &targets[usize::from(pick) % targets.len()];
    let module = &target.module;
    let name = module.name();
    let settings = match serde_json::from_slice::<Value>(text) {
        Ok(v @ (Value::Object(_) | Value::Null)) => v,
        _ => {
            // Not a JSON object: raw bytes straight to the guest, which must answer.
            let outcome = module.call("validate_settings", text, &EvalOptions::default());
            match outcome.result {
                Ok(bytes) => {
                    let answer: Value = serde_json::from_slice(&bytes)
                        .unwrap_or_else(|e| panic!("{name}: answer is not JSON: {e}"));
                    assert!(
                        answer.get("valid").is_some_and(Value::is_boolean),
                        "{name}: {answer}"
                    );
                }
                Err(f) => no_crash(name, Some(&f)),
            }
            return;
        }
    };
    let outcome = module
        .validate_settings(&settings)
        .unwrap_or_else(|e| panic!("{name}: harness refused an object: {e}"));
    no_crash(name, outcome.failure.as_ref());
    if !outcome.valid {
        assert!(
            outcome
                .message
                .as_deref()
                .is_some_and(|m| !m.trim().is_empty()),
            "{name}: settings refused without a message"
        );
    }
    let Some(request) = &target.request else {
        return;
    };
    let evaluation = module
        .validate(request, &settings)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    no_crash(name, evaluation.failure.as_ref());
    let uid = request
        .get("uid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    assert_eq!(evaluation.response.uid, uid, "{name}: uid");
    if !outcome.valid {
        assert!(
            !evaluation.allowed(),
            "{name}: invalid settings {settings} reached the rule and were accepted"
        );
        assert_eq!(
            evaluation.code(),
            Some(500),
            "{name}: invalid settings {settings}: code"
        );
        let message = evaluation.message().unwrap_or_default();
        assert!(
            message.contains("invalid settings"),
            "{name}: {settings}: {message}"
        );
    }
});
