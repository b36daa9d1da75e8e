//! Workspace-level tests live in `tests/*.rs` of this crate. The library holds what they share:
//! where the workspace, `dist/` and the built modules are, and one harness per test binary.

use std::path::{Path, PathBuf};

use host_test::{Harness, HarnessConfig, PolicyModule};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `dist/` (or `$AKS_DIST` when set).
pub fn dist() -> PathBuf {
    std::env::var_os("AKS_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("dist"))
}

/// The ids of `policies/*` (those with a `Cargo.toml`), sorted.
pub fn policy_ids() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(root().join("policies"))
        .expect("policies/ is readable")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    ids
}

/// Panics with a clear message when `dist/<id>.wasm` is missing for a policy of `policies/`.
pub fn require_dist() -> Vec<(String, PathBuf)> {
    let dist = dist();
    let mut missing = Vec::new();
    let mut found = Vec::new();
    for id in policy_ids() {
        let module = dist.join(format!("{id}.wasm"));
        if module.is_file() {
            found.push((id, module));
        } else {
            missing.push(id);
        }
    }
    assert!(
        missing.is_empty(),
        "built modules missing from {}: {} (run `make dist` first; `make test` does)",
        dist.display(),
        missing.join(", ")
    );
    found
}

/// A harness with the default limits, no compilation cache and a fixed random seed.
pub fn harness() -> Harness {
    Harness::new(HarnessConfig {
        cache_dir: None,
        random_seed: Some(11),
        ..HarnessConfig::default()
    })
    .expect("the harness starts")
}

/// Every built module of the workspace, loaded and runnable.
pub fn modules(harness: &Harness) -> Vec<(String, PolicyModule)> {
    require_dist()
        .into_iter()
        .map(|(id, path)| {
            let module = harness
                .load_module(&path)
                .unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()));
            module
                .check_runnable()
                .unwrap_or_else(|e| panic!("{id} is not runnable: {e}"));
            (id, module)
        })
        .collect()
}
