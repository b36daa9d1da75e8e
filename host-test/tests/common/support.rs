//! Test helpers shared by the harness' integration tests and the scanner's (which include this
//! file with `#[path]`, so that `env!` below names the crate under test): the harness, the
//! hand-written WAT guests of `host-test/tests/data`, this crate's `tests/data`, scratch
//! directories.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use host_test::{Harness, HarnessConfig};

/// The crate's own test data (`tests/data` beside its manifest).
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
}

/// The workspace root: the nearest folder above the crate that holds `Cargo.lock`.
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    match manifest
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
    {
        Some(root) => root.to_owned(),
        None => panic!("no Cargo.lock above {}", manifest.display()),
    }
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

/// A harness with the default configuration.
pub fn harness() -> Harness {
    match Harness::new(HarnessConfig::default()) {
        Ok(harness) => harness,
        Err(e) => panic!("cannot create the harness: {e}"),
    }
}

/// A fresh, empty scratch directory under the test target directory, named after the crate
/// under test, `name` and the process.
pub fn scratch(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{}-{name}-{}-{n}",
        env!("CARGO_PKG_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }
    dir
}

/// Writes `contents` to `path`, creating its folder.
pub fn write(path: &Path, contents: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    if let Err(e) = std::fs::write(path, contents) {
        panic!("cannot write {}: {e}", path.display());
    }
}
