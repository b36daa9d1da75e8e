//! Helpers shared by the scanner's integration tests: the harness, the hand-written WAT guests
//! (the harness' own, `host-test/tests/data`), the schemas of `tests/data/schemas`, scratch
//! directories.

#![allow(dead_code)]

pub mod schemas;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use host_test::{Harness, HarnessConfig};

/// This crate's test data (schemas, profiles, fixtures).
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The binary form of the harness' test guest `host-test/tests/data/<name>.wat`.
pub fn wasm(name: &str) -> Vec<u8> {
    let path = repo_root()
        .join("host-test/tests/data")
        .join(format!("{name}.wat"));
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

/// A fresh, empty scratch directory under the test target directory.
pub fn scratch(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("scanner-{name}-{}-{n}", std::process::id()));
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
