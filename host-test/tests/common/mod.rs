//! Helpers of the harness' integration tests: those the scanner's tests share ([`support`]:
//! the harness, the hand-written WAT guests of `tests/data`, scratch directories), and
//! modules and sample admission requests.

#![allow(dead_code)]

pub mod schemas;
pub mod support;

#[allow(unused_imports)] // each test crate uses some of them
pub use support::{data_dir, harness, repo_root, scratch, wasm, write};

use std::time::Duration;

use host_test::{Harness, Limits, PolicyModule};
use serde_json::{Value, json};

/// A harness with a short deadline, for the tests that must hit it.
pub fn quick_harness(timeout: Duration) -> Harness {
    harness()
        .with_limits(Limits {
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
