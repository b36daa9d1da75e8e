//! Helpers shared by the harness' integration tests: the harness, the hand-written WAT
//! guests of `tests/data`, sample admission requests and scratch directories.

#![allow(dead_code)]

pub mod schemas;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use host_test::{Harness, HarnessConfig, Limits, PolicyModule};
use serde_json::{Value, json};

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
}

/// The binary form of `tests/data/<name>.wat`.
pub fn wasm(name: &str) -> Vec<u8> {
    let path = data_dir().join(format!("{name}.wat"));
    match wat::parse_file(&path) {
        Ok(bytes) => bytes,
        Err(e) => panic!("cannot assemble {}: {e}", path.display()),
    }
}

pub fn harness() -> Harness {
    match Harness::new(HarnessConfig::default()) {
        Ok(harness) => harness,
        Err(e) => panic!("cannot create the harness: {e}"),
    }
}

/// A harness with a short deadline, for the tests that must hit it.
pub fn quick_harness(timeout: Duration) -> Harness {
    harness().with_limits(Limits {
        timeout,
        ..Limits::default()
    })
    .expect("engine")
}

pub fn module(harness: &Harness, name: &str) -> PolicyModule {
    match harness.load_module_bytes(name, &wasm(name)) {
        Ok(module) => module,
        Err(e) => panic!("cannot load {name}: {e}"),
    }
}

/// A CREATE request for a Pod named `nginx` in `default`.
pub fn pod_request() -> Value {
    json!({
        "uid": "1299d386-525b-4032-98ae-1949f69f9cfc",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
        "requestResource": {"group": "", "version": "v1", "resource": "pods"},
        "name": "nginx",
        "namespace": "default",
        "operation": "CREATE",
        "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
        "object": {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "nginx", "namespace": "default"},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}
        },
        "dryRun": false
    })
}

/// A fresh, empty scratch directory under the test target directory.
pub fn scratch(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("host-test-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }
    dir
}

pub fn write(path: &Path, contents: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    if let Err(e) = std::fs::write(path, contents) {
        panic!("cannot write {}: {e}", path.display());
    }
}
