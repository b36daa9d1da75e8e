//! Helpers shared by the scanner's integration tests: the harness, the hand-written WAT guests
//! (the harness' own, `host-test/tests/data`), the schemas of `tests/data/schemas`, scratch
//! directories.

#![allow(dead_code)]

pub mod schemas;

#[path = "../../../../host-test/tests/common/support.rs"]
mod support;

#[allow(unused_imports)] // each test crate uses some of them
pub use support::{data_dir, harness, repo_root, scratch, wasm, write};
