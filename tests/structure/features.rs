//! One feature set per dependency in every native cargo invocation of `make test`.
//!
//! Cargo resolves features per invocation, from the packages it is asked to build (and, for
//! tests, their dev-dependencies). When `make harness`, `make test-rust`, `make test-scan`,
//! `make test-scaffold` and `make test-playground` resolve a shared dependency differently,
//! that dependency and everything above it (wasmtime, cranelift, sigstore, ...) is compiled
//! again into `target/harness`: it once cost a clean `make test` 112 crates built twice, several
//! minutes and gigabytes of disk (a CI run ran out of it). `crates/workspace-hack` lists the
//! union; this check asks `cargo tree` for each invocation's resolution and fails, naming the
//! package and the features, when two of them differ.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// The package selections of the Makefile's native invocations in the harness profile.
/// Build-dependencies and proc-macros are left out: Cargo resolves them apart from the
/// normal graph anyway (a separate unit, never a rebuild of a shared one).
pub(crate) const INVOCATIONS: &[(&str, &[&str])] = &[
    (
        "make harness",
        &[
            "-p",
            "host-test",
            "-p",
            "scanner",
            "-p",
            "bundle-tool",
            "-e",
            "normal,no-proc-macro",
        ],
    ),
    (
        "make test-rust",
        &[
            "--workspace",
            "--exclude",
            "playground",
            "-e",
            "normal,dev,no-proc-macro",
        ],
    ),
    (
        "make test-scan",
        &["-p", "scanner", "-e", "normal,dev,no-proc-macro"],
    ),
    (
        "make test-scaffold",
        &["-p", "workspace-tests", "-e", "normal,dev,no-proc-macro"],
    ),
    (
        "make test-playground",
        &["-p", "playground", "-e", "normal,dev,no-proc-macro"],
    ),
];

/// `name version` → the feature lists it is built with, from `cargo tree -f '{p} [{f}]'
/// --prefix none` output.
pub(crate) fn resolution(tree: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in tree.lines() {
        let mut words = line.split_whitespace();
        let (Some(name), Some(version)) = (words.next(), words.next()) else {
            continue;
        };
        let features = match (line.find('['), line.rfind(']')) {
            (Some(a), Some(b)) if a < b => &line[a + 1..b],
            _ => "",
        };
        out.entry(format!("{name} {version}"))
            .or_default()
            .insert(features.to_owned());
    }
    out
}

/// Every package two resolutions share but build with different features.
pub(crate) fn differences(
    (a_name, a): (&str, &BTreeMap<String, BTreeSet<String>>),
    (b_name, b): (&str, &BTreeMap<String, BTreeSet<String>>),
) -> Vec<String> {
    a.iter()
        .filter_map(|(pkg, fa)| {
            let fb = b.get(pkg)?;
            (fa != fb)
                .then(|| format!("{pkg}: {a_name} builds it with {fa:?}, {b_name} with {fb:?}"))
        })
        .collect()
}

/// `cargo tree` of one invocation's selection, in the repository at `root`.
pub(crate) fn tree(root: &Path, selection: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    super::run(
        &format!("cargo tree {selection:?}"),
        Command::new(cargo)
            .current_dir(root)
            .args(["tree", "--locked", "--prefix", "none", "-f", "{p} [{f}]"])
            .args(selection),
    )
}
