//! `make test-scaffold`: `make new-policy` in a scratch copy of the repository, once per shape,
//! then everything `make test` would ask of the new policies, at the cost of one crate build:
//!
//! 1. the copy passes the structure checks of this file (every policy, the workspace: catalogue
//!    row, ArtifactHub package) and the generated lists are fresh (`artifacthub/`, `deploy/`,
//!    the playground registry), and the profile the scaffold was added to loads;
//! 2. the new crates build for `wasm32-wasip1` in release mode, sharing the repository's target
//!    directory (`CARGO_TARGET_DIR`), so third-party crates are not rebuilt (the copy's
//!    policy-helpers under another version, so that its build never stands in for the
//!    repository's);
//! 3. each module is annotated with its metadata and README and its scaffolded cases run through
//!    it with `host-test test`, as `make test-cases` runs the bundle's;
//! 4. a broken expectation makes that run fail (the check can fail).
//!
//! Ignored in `cargo test`: it needs the harness binaries (`make harness`), given as
//! `AKS_BUNDLE` and `AKS_HOST_TEST`, and a release build of four crates. The scratch copy stays
//! in `target/scaffold-test/` for inspection and is replaced by the next run.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{check_policy, check_workspace, edit, policy_ids, repo_root, report, run};

/// What the scaffold test makes: id, shape, extra `make new-policy` arguments.
const PROBES: &[(&str, &str, &[&str])] = &[
    (
        "scaffold-probe-pod",
        "pod",
        &["PROFILES=aks-baseline,pss-restricted"],
    ),
    ("scaffold-probe-object", "object", &[]),
    (
        "scaffold-probe-rbac",
        "rbac",
        &["ROW=A90", "CONTROLS=ASB 3.3, PCI 7.1.2"],
    ),
    ("scaffold-probe-context", "context", &[]),
];

/// Top-level entries of the repository not copied: build outputs and version control.
const SKIP: &[&str] = &["target", "dist", ".git"];
/// Nested build outputs not copied.
const SKIP_NESTED: &[&str] = &[
    "playground/dist",
    "fuzz/target",
    "fuzz/corpus",
    "fuzz/artifacts",
];

fn copy_tree(src: &Path, dst: &Path, rel: &Path) {
    fs::create_dir_all(dst.join(rel)).expect("create a directory of the copy");
    for e in fs::read_dir(src.join(rel)).expect("read a directory of the repository") {
        let e = e.expect("read a directory entry");
        let rel = rel.join(e.file_name());
        let name = rel.to_string_lossy().replace('\\', "/");
        if SKIP.contains(&name.as_str()) || SKIP_NESTED.contains(&name.as_str()) {
            continue;
        }
        let ty = e.file_type().expect("file type");
        if ty.is_dir() {
            copy_tree(src, dst, &rel);
        } else if ty.is_file() {
            fs::copy(src.join(&rel), dst.join(&rel)).expect("copy a file");
        }
    }
}

fn binary(var: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        panic!("{var} is not set: run this test with `make test-scaffold` (it builds the harness and sets it)")
    });
    assert!(
        path.is_file(),
        "{var}={} does not exist: run `make harness`",
        path.display()
    );
    path
}

#[test]
#[ignore = "make test-scaffold: needs the harness binaries and builds four policy crates"]
fn scaffold_every_shape_then_check_build_and_run_its_cases() {
    let started = std::time::Instant::now();
    let bundle = binary("AKS_BUNDLE");
    let host_test = binary("AKS_HOST_TEST");
    let repo = repo_root();
    let target = repo.join("target");
    let scratch = target.join("scaffold-test");
    if scratch.exists() {
        fs::remove_dir_all(&scratch).expect("remove the previous scratch copy");
    }
    copy_tree(&repo, &scratch, Path::new(""));
    let before = policy_ids(&scratch);

    // 1. `make new-policy` per shape, with the binaries already built.
    for (id, shape, extra) in PROBES {
        let mut make = Command::new("make");
        make.current_dir(&scratch)
            .arg("--no-print-directory")
            .arg("new-policy")
            .arg(format!("ID={id}"))
            .arg(format!("SHAPE={shape}"))
            .arg("NEW_POLICY_DEPS=")
            .arg(format!("BUNDLE={}", bundle.display()))
            .arg(format!("HOST_TEST={}", host_test.display()))
            .args(*extra);
        run(&format!("make new-policy ID={id}"), &mut make);
    }
    let ids = policy_ids(&scratch);
    assert_eq!(ids.len(), before.len() + PROBES.len(), "{ids:?}");

    let problems: Vec<String> = ids
        .iter()
        .flat_map(|id| check_policy(&scratch, id))
        .collect();
    assert!(problems.is_empty(), "{}", report(&problems));
    let (problems, _) = check_workspace(&scratch, &ids);
    assert!(problems.is_empty(), "{}", report(&problems));
    let readme = fs::read_to_string(scratch.join("README.md")).expect("README.md");
    assert!(
        readme.contains("| [`scaffold-probe-rbac`](policies/scaffold-probe-rbac/README.md) | A90 | ASB 3.3, PCI 7.1.2 |"),
        "the catalogue row of the rbac probe is missing"
    );
    run(
        "host-test artifacthub --check",
        Command::new(&host_test).current_dir(&scratch).args([
            "artifacthub",
            "--root",
            ".",
            "--out",
            "artifacthub",
            "--check",
        ]),
    );
    run(
        "bundle deploy --check",
        Command::new(&bundle)
            .current_dir(&scratch)
            .args(["deploy", "--out", "deploy", "--check"]),
    );
    run(
        "playground/gen-registry.sh --check",
        Command::new("bash")
            .current_dir(&scratch)
            .args(["playground/gen-registry.sh", "--check"]),
    );
    let profiles = run(
        "bundle profiles",
        Command::new(&bundle).current_dir(&scratch).arg("profiles"),
    );
    for profile in ["aks-baseline", "pss-restricted"] {
        let line = profiles
            .lines()
            .find(|l| l.starts_with(&format!("{profile} (")))
            .unwrap_or_else(|| panic!("profile {profile} not listed:\n{profiles}"));
        assert!(line.contains("scaffold-probe-pod"), "{line}");
    }
    let registry =
        fs::read_to_string(scratch.join("playground/src/registry.rs")).expect("registry");
    for (id, _, _) in PROBES {
        assert!(
            registry.contains(&format!("id: \"{id}\"")),
            "{id} not in the playground registry"
        );
    }

    // 2. Build the new crates (release, wasm32-wasip1) with the repository's target directory.
    // Cargo names a workspace crate's build by its path relative to the workspace, so the
    // copy's policy-helpers would share the repository's file names in the shared target
    // directory: a later plain `cargo build` of the repository then found the copy's build
    // "fresh" and linked it instead of the edited sources. Another version (build metadata
    // only) gives the copy's helpers their own name; third-party crates are still shared.
    let helpers = scratch.join("crates/policy-helpers/Cargo.toml");
    edit(
        &helpers,
        "version.workspace = true",
        "version = \"0.0.0+scaffold-test\"",
    );
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .current_dir(&scratch)
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "--release", "--target", "wasm32-wasip1"]);
    for (id, _, _) in PROBES {
        cargo.args(["-p", id]);
    }
    run("cargo build of the scaffolded crates", &mut cargo);

    // 3. Annotate each module and run its cases through it.
    let dist = scratch.join("dist");
    fs::create_dir_all(&dist).expect("create dist/");
    for (id, _, _) in PROBES {
        let raw = target
            .join("wasm32-wasip1/release")
            .join(format!("{}.wasm", id.replace('-', "_")));
        let dir = scratch.join("policies").join(id);
        run(
            &format!("host-test annotate {id}"),
            Command::new(&host_test)
                .arg("annotate")
                .arg("-m")
                .arg(dir.join("metadata.yml"))
                .arg("-u")
                .arg(dir.join("README.md"))
                .arg("-o")
                .arg(dist.join(format!("{id}.wasm")))
                .arg(&raw),
        );
    }
    let test_cases = || {
        let mut c = Command::new(&host_test);
        c.current_dir(&scratch)
            .args(["test", "--root", ".", "--dist", "dist", "--verbose"]);
        for (id, _, _) in PROBES {
            c.arg(id);
        }
        c
    };
    let out = run(
        "host-test test on the scaffolded policies",
        &mut test_cases(),
    );
    println!("{out}");
    assert!(out.contains(" 0 failed"), "{out}");
    for (id, _, _) in PROBES {
        assert!(out.contains(id), "{id} was not run:\n{out}");
    }

    // 4. The same run fails once an expectation is wrong.
    let cases = scratch.join("policies/scaffold-probe-object/cases.yaml");
    let text = fs::read_to_string(&cases).expect("cases.yaml");
    let broken = text.replacen("lacks label \"team\"", "lacks label \"nobody\"", 1);
    assert_ne!(broken, text, "the case to break was not found");
    fs::write(&cases, broken).expect("write cases.yaml");
    let failed = test_cases().output().expect("host-test test runs");
    assert!(
        !failed.status.success(),
        "host-test test passed with a broken expectation:\n{}",
        String::from_utf8_lossy(&failed.stdout)
    );
    fs::write(&cases, text).expect("restore cases.yaml");
    println!(
        "scaffold test: {} policies scaffolded, built and tested in {:.0?}",
        PROBES.len(),
        started.elapsed()
    );
}
