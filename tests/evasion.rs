//! The evasion suite: tricky but valid Kubernetes objects that must be rejected by the right
//! module, and compliant objects written in unusual ways that must be accepted.
//!
//! Data, not code: `tests/evasion/<policy-id>/cases.yaml` (the `cases.yaml` format of
//! `docs/cases.md`, requests under `requests/`) is run through the built `dist/<policy-id>.wasm`
//! exactly as `host-test test` runs a policy's own suite.

use host_test::{PolicySuite, run_workspace};
use workspace_tests::{dist, harness, root};

#[test]
fn evasion_suite_passes_through_the_built_modules() {
    let dir = root().join("tests").join("evasion");
    let dist = dist();
    let mut suites: Vec<PolicySuite> = std::fs::read_dir(&dir)
        .expect("tests/evasion is readable")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("cases.yaml").is_file())
        .map(|e| {
            let id = e.file_name().to_string_lossy().into_owned();
            PolicySuite {
                module: dist.join(format!("{id}.wasm")),
                suite: e.path().join("cases.yaml"),
                id,
            }
        })
        .collect();
    suites.sort_by(|a, b| a.id.cmp(&b.id));
    assert!(
        !suites.is_empty(),
        "no evasion suites under {}",
        dir.display()
    );
    for suite in &suites {
        assert!(
            root().join("policies").join(&suite.id).is_dir(),
            "tests/evasion/{} names no policy of policies/",
            suite.id
        );
        assert!(
            suite.module.is_file(),
            "{} is missing: run `make dist` first (`make test` does)",
            suite.module.display()
        );
    }
    let report = run_workspace(&harness(), &suites, false);
    let rendered = report.render();
    println!("evasion: {rendered}");
    assert_eq!(report.failed(), 0, "{rendered}");
    assert!(report.passed() > 0, "{rendered}");
}
