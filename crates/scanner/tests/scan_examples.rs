//! The bundled example repository (`examples/`) scanned by the built bundle, as CI would:
//! every output format, the schemas of SARIF and JUnit, and the exit codes. These tests need
//! the annotated modules, so they are `#[ignore]`d in a plain `cargo test` and run by
//! `make test-scan` (which builds `dist/` first and sets `HOST_TEST_DIST`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::schemas::{assert_valid_junit, assert_valid_sarif};
use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `host-test` binary built beside `aks-scan` (`make harness` builds both): these tests
/// run the scanner under its old name, `host-test scan`, which forwards to `aks-scan`.
fn host_test() -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_aks-scan")).with_file_name("host-test");
    assert!(
        path.is_file(),
        "{} is missing: build it (make harness)",
        path.display()
    );
    path
}

fn dist() -> String {
    let dist = std::env::var("HOST_TEST_DIST").expect(
        "HOST_TEST_DIST names the dist/ directory of annotated modules (make test-scan sets it)",
    );
    assert!(
        Path::new(&dist)
            .join("no-privileged-containers.wasm")
            .is_file(),
        "{dist} has no annotated modules: run make dist"
    );
    dist
}

/// `host-test scan --dist DIST --profile crates/scanner/tests/data/examples-profile.yaml --cluster examples/cluster.yaml
/// ARGS…` run from the workspace root: (exit code, stdout, stderr).
fn scan(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let dist = dist();
    let mut command = Command::new(host_test());
    command
        .current_dir(workspace())
        .args([
            "scan",
            "--dist",
            &dist,
            "--profile",
            "crates/scanner/tests/data/examples-profile.yaml",
            "--cluster",
            "examples/cluster.yaml",
        ])
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("host-test runs");
    if let Some(text) = stdin {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("writes stdin");
    }
    let output = child.wait_with_output().expect("host-test ends");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const FORMATS: [&str; 5] = ["table", "json", "junit", "sarif", "markdown"];

#[test]
#[ignore = "needs the built bundle: make test-scan"]
fn the_compliant_examples_pass_in_every_format() {
    for format in FORMATS {
        let (code, stdout, stderr) = scan(&["--format", format, "examples/compliant"], None);
        assert_eq!(code, 0, "{format}: {stdout}{stderr}");
        match format {
            "table" => assert_eq!(
                stdout, "25 objects, 27 evaluations, 0 rejected, 0 errors\n",
                "{stderr}"
            ),
            "json" => {
                let json: Value = serde_json::from_str(&stdout).expect("json");
                assert_eq!(json["summary"]["exitCode"], 0);
                assert_eq!(json["summary"]["rejected"], 0);
                // Every kind of the examples is known: the CRD of the cluster fixture
                // declares SecretProviderClass.
                assert_eq!(json["inputErrors"], serde_json::json!([]));
            }
            "junit" => {
                assert_valid_junit(&stdout);
                assert!(stdout.contains("failures=\"0\" errors=\"0\""), "{stdout}");
            }
            "sarif" => {
                assert_valid_sarif(&stdout);
                let sarif: Value = serde_json::from_str(&stdout).expect("json");
                assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
                assert_eq!(
                    sarif["runs"][0]["invocations"][0]["executionSuccessful"],
                    true
                );
            }
            _ => {
                assert!(
                    stdout.starts_with("### ✅ Manifest scan: passed\n"),
                    "{stdout}"
                );
                assert!(stdout.contains("| ASB 7.3 | ✅ passed | `no-privileged-containers` |"));
            }
        }
    }
}

#[test]
#[ignore = "needs the built bundle: make test-scan"]
fn the_non_compliant_examples_fail_in_every_format() {
    for format in FORMATS {
        // The table grouped by control: the auditor's view (the default groups by object).
        let group: &[&str] = if format == "table" {
            &["--group-by", "control"]
        } else {
            &[]
        };
        let (code, stdout, stderr) = scan(
            &[&["--format", format], group, &["examples/non-compliant"]].concat(),
            None,
        );
        assert_eq!(code, 1, "{format}: {stdout}{stderr}");
        match format {
            "table" => {
                // The helm-template file: objects keep their file, line and # Source.
                assert!(stdout.contains(
                    "  examples/non-compliant/helm-legacy.yaml:20  StatefulSet default/legacy-cache  (# Source: legacy/templates/cache.yaml)\n    FAIL  allowed-image-registries  high  spec.template.spec.containers[0].image\n"
                ), "{stdout}");
                // block-default-namespace runs in monitor mode: reported, not failing.
                assert!(stdout.contains(
                    "    WARN  block-default-namespace  medium  metadata.namespace  (monitor mode)\n"
                ), "{stdout}");
                assert!(stdout.contains(
                    "    FAIL  no-privileged-containers  critical  spec.template.spec.initContainers[0].securityContext.privileged\n"
                ), "{stdout}");
                assert!(stdout.ends_with("6 of 11 fail the scan (--fail-on low)\n21 objects, 21 evaluations, 11 rejected, 0 errors\n"), "{stdout}");
            }
            "json" => {
                let json: Value = serde_json::from_str(&stdout).expect("json");
                assert_eq!(json["summary"]["failing"], 6);
                assert_eq!(json["summary"]["exitCode"], 1);
            }
            "junit" => {
                assert_valid_junit(&stdout);
                assert!(stdout.contains("<testsuites name=\"host-test scan\" tests=\"21\" failures=\"6\" errors=\"0\">"), "{stdout}");
                assert!(
                    stdout.contains(
                        "<skipped message=\"not enforced (monitor mode): is in namespace"
                    ),
                    "{stdout}"
                );
            }
            "sarif" => {
                assert_valid_sarif(&stdout);
                let sarif: Value = serde_json::from_str(&stdout).expect("json");
                let run = &sarif["runs"][0];
                assert_eq!(run["results"].as_array().map(Vec::len), Some(11));
                let rules: Vec<&str> = run["tool"]["driver"]["rules"]
                    .as_array()
                    .expect("rules")
                    .iter()
                    .map(|r| r["id"].as_str().unwrap_or(""))
                    .collect();
                assert_eq!(
                    rules,
                    [
                        "no-privileged-containers",
                        "allowed-image-registries",
                        "block-default-namespace"
                    ]
                );
                let privileged = run["results"]
                    .as_array()
                    .expect("results")
                    .iter()
                    .find(|r| r["ruleId"] == "no-privileged-containers")
                    .expect("a privileged result");
                let location = &privileged["locations"][0]["physicalLocation"];
                assert_eq!(
                    location["artifactLocation"]["uri"],
                    "examples/non-compliant/legacy.yaml"
                );
                assert_eq!(location["region"]["startLine"], 3);
                assert_eq!(privileged["level"], "error");
                let help = run["tool"]["driver"]["rules"][0]["help"]["text"]
                    .as_str()
                    .unwrap_or("");
                assert!(
                    help.starts_with("Catalogue row **P01**. Controls: **ASB 7.3**"),
                    "the README's first paragraph: {help}"
                );
            }
            _ => {
                assert!(
                    stdout.starts_with("### ❌ Manifest scan: 6 violation(s) fail the check\n"),
                    "{stdout}"
                );
                for row in [
                    "| ASB 7.3 | ❌ failed | `no-privileged-containers` |",
                    "| ASB 4.2 | ⚠️ violations not enforced | `block-default-namespace` |",
                    "| ❌ | critical | `Deployment default/legacy` | `examples/non-compliant/legacy.yaml:3` | `no-privileged-containers` | `spec.template.spec.initContainers[0].securityContext.privileged` |",
                ] {
                    assert!(stdout.contains(row), "missing {row:?} in\n{stdout}");
                }
            }
        }
    }
}

#[test]
#[ignore = "needs the built bundle: make test-scan"]
fn exit_codes_follow_fail_on_and_input_errors() {
    // helm-legacy.yaml has only high (registry) violations and monitor-mode ones.
    let helm = "examples/non-compliant/helm-legacy.yaml";
    for (threshold, expected) in [("low", 1), ("medium", 1), ("high", 1), ("critical", 0)] {
        let (code, stdout, _) = scan(&["--fail-on", threshold, helm], None);
        assert_eq!(code, expected, "--fail-on {threshold}: {stdout}");
    }
    // legacy.yaml has critical (privileged) ones.
    let (code, _, _) = scan(
        &[
            "--fail-on",
            "critical",
            "examples/non-compliant/legacy.yaml",
        ],
        None,
    );
    assert_eq!(code, 1);
    let (code, _, _) = scan(&["--no-fail", "examples/non-compliant"], None);
    assert_eq!(code, 0);
    // `helm template … | host-test scan -`: the same findings from stdin.
    let text = std::fs::read_to_string(workspace().join(helm)).expect("example");
    let (code, stdout, _) = scan(&["--format", "json", "-"], Some(&text));
    assert_eq!(code, 1);
    let json: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(json["findings"][0]["file"], "<stdin>");
    assert_eq!(
        json["findings"][0]["source"],
        "legacy/templates/serviceaccount.yaml"
    );
    // Without the cluster fixture the SecretProviderClass kind is unknown: a warning with
    // its file and line, and with --strict-kinds exit 2.
    let dist = dist();
    let without_fixture = |extra: &[&str]| {
        Command::new(host_test())
            .current_dir(workspace())
            .args([
                "scan",
                "--dist",
                &dist,
                "--profile",
                "crates/scanner/tests/data/examples-profile.yaml",
            ])
            .args(extra)
            .arg("examples/compliant")
            .output()
            .expect("runs")
    };
    let output = without_fixture(&["--strict-kinds"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an input error fails the scan; 2 is for usage"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: examples/compliant/helm-payments.yaml:98: unknown kind secrets-store.csi.x-k8s.io/v1 SecretProviderClass"),
        "{stderr}"
    );
    let output = without_fixture(&[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: examples/compliant/helm-payments.yaml:98: unknown kind secrets-store.csi.x-k8s.io/v1 SecretProviderClass"),
        "{stderr}"
    );
    assert_ne!(output.status.code(), Some(2), "{stderr}");
    // Invalid YAML: an input error with file and line (exit 1), never a crash; a usage
    // error: exit 2.
    let (code, _, stderr) = scan(
        &["-"],
        Some("apiVersion: v1\nkind: Pod\n  metadata: {name: x}\n"),
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("error: <stdin>:3: invalid YAML"),
        "{stderr}"
    );
    let (code, _, _) = scan(&["--format", "xml", "examples/compliant"], None);
    assert_eq!(code, 2);
}

/// The fixture repository of `tests/data/repo` (kustomize base and overlay, a Helm chart, a
/// Go template, a workflow, a CRD and its resource, namespace-less files, a BOM file, a
/// deny-all NetworkPolicy in default, a privileged agent in kube-system) scanned as a new user would: no --profile (the
/// built-in aks-baseline), no cluster fixture. Needs kubectl or kustomize on PATH.
#[test]
#[ignore = "needs the built bundle: make test-scan"]
fn a_repository_scans_with_the_default_profile_and_no_false_rejections() {
    let dist = dist();
    let output = Command::new(host_test())
        .current_dir(workspace())
        .args([
            "scan",
            "--dist",
            &dist,
            "--format",
            "json",
            "crates/scanner/tests/data/repo",
        ])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output.status.code();
    assert!(code == Some(0) || code == Some(1), "{code:?}\n{stderr}");
    for note in [
        "note: no --profile given: scanning with the built-in profile aks-baseline",
        "site parameter 'registries'",
        "a Helm chart, not scanned",
        "a Go template",
        "a kustomization: rendered with",
        "skipped 1 YAML document that is not a Kubernetes object",
    ] {
        assert!(stderr.contains(note), "missing {note:?} in\n{stderr}");
    }
    // Information is a note, never a warning; what to act on is a warning.
    for note in [
        "note: crates/scanner/tests/data/repo/kustomize/overlays/prod: a kustomization: rendered with",
        "note: profile aks-baseline: verify-image-signatures is left out: it needs the site parameter 'signatures'",
        "note: profile aks-baseline: pci-scope-node-isolation is left out: it needs the site parameter 'in-scope-node-pools'",
        "note: policy block-vulnerable-images not run: it judges by storage.sbomscanner.kubewarden.io/v1alpha1/VulnerabilityReport objects",
        "note: 2 objects in namespace \"kube-system\" not evaluated by ",
    ] {
        assert!(stderr.contains(note), "missing {note:?} in\n{stderr}");
    }
    assert!(
        stderr.contains("warning: crates/scanner/tests/data/repo/chart: a Helm chart"),
        "{stderr}"
    );
    assert!(
        !stderr.lines().any(|l| l.starts_with("warning:")
            && (l.contains("rendered with")
                || l.contains("no --profile")
                || l.contains("skipped"))),
        "{stderr}"
    );
    assert!(
        !stdout.contains("not found") && !stderr.contains("not found"),
        "{stdout}{stderr}"
    );
    let json: Value = serde_json::from_str(&stdout).expect("json");
    let findings = json["findings"].as_array().expect("findings");
    // The overlay's objects point at the base files they came from, not the kustomization.
    assert!(
        findings.iter().any(|f| f["kind"] == "Deployment"
            && f["namespace"] == "shop"
            && f["file"] == "crates/scanner/tests/data/repo/kustomize/base/deployment.yaml"
            && f["line"] == 1),
        "{stdout}"
    );
    assert!(!stdout.contains("config.kubernetes.io/origin"), "{stdout}");
    let rejected = |policy: &str, kind: &str| {
        findings.iter().any(|f| {
            f["policy"] == policy && f["kind"] == kind && f["allowed"] == Value::Bool(false)
        })
    };
    // The deny-all NetworkPolicy hardens default: admitted.
    assert!(
        !rejected("block-default-namespace", "NetworkPolicy"),
        "{stdout}"
    );
    // The namespace-less ConfigMap lands in default: rejected there.
    assert!(rejected("block-default-namespace", "ConfigMap"), "{stdout}");
    // The overlay's Deployment is in shop (the namespace transformer), pulled from an Azure
    // Container Registry: no registry finding.
    assert!(
        !findings
            .iter()
            .any(|f| f["policy"] == "allowed-image-registries"
                && f["namespace"] == "shop"
                && f["allowed"] == Value::Bool(false)),
        "{stdout}"
    );
    // Nothing in kube-system is evaluated (every policy of the profile leaves it out), and
    // no image is reported as unscanned.
    assert!(
        !findings.iter().any(|f| f["namespace"] == "kube-system"
            || f["policy"] == "block-vulnerable-images"
            || f["policy"] == "pci-scope-node-isolation"),
        "{stdout}"
    );
    assert!(
        json["notes"]
            .as_array()
            .is_some_and(|n| n.iter().any(|n| n["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("policy block-vulnerable-images not run")))),
        "{stdout}"
    );
    // The legacy extensions/v1beta1 DaemonSet is judged by deprecated-api-versions.
    assert!(rejected("deprecated-api-versions", "DaemonSet"), "{stdout}");
}
