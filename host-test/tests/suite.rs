//! Suites end to end: a scratch workspace with passing and deliberately failing cases, run
//! through the library and through the `host-test` binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{harness, pod_request, scratch, wasm, write};
use host_test::metadata::Metadata;
use host_test::suite::{RunOptions, load_suite, run_suite};
use serde_json::json;

const METADATA: &str = r#"
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods", "pods/ephemeralcontainers"]
    operations: ["CREATE", "UPDATE", "DELETE"]
mutating: true
"#;

const PASSING: &str = r#"
defaults:
  settings: {accepted: true}
cases:
  - name: defaults apply
    request: requests/create-pod.yaml
    expect: {allowed: true}
  - name: rejection with everything
    request: requests/create-pod.yaml
    settings:
      accepted: false
      message: "container 'nginx' must not set securityContext.privileged=true [ASB 7.3]"
      code: 400
      warnings: ["nginx runs as root"]
      audit_annotations: {asb: "7.3"}
    expect:
      allowed: false
      code: 400
      message: securityContext.privileged=true
      messages: ["container 'nginx'", "[ASB 7.3"]
      notMessage: initContainers
      warnings: ["as root"]
      auditAnnotations: {asb: "7.3"}
  - name: mutation produces the patch
    request: requests/create-pod.yaml
    allowedToMutate: true
    settings:
      accepted: true
      mutated_object:
        apiVersion: v1
        kind: Pod
        metadata: {name: nginx, namespace: default, labels: {team: a}}
        spec: {containers: [{name: nginx, image: "nginx:1.27"}]}
    expect:
      allowed: true
      patch: [{op: add, path: /metadata/labels, value: {team: a}}]
  - name: mutation without permission is rejected
    request: requests/create-pod.yaml
    settings:
      accepted: true
      mutated_object: {metadata: {name: other}}
    expect:
      allowed: false
      messages: ["Request rejected by policy ", "The policy attempted to mutate the request"]
      patch: []
  - name: monitor mode accepts
    request: requests/create-pod.yaml
    mode: monitor
    settings: {accepted: false, message: nope}
    expect: {allowed: true}
  - name: an unknown settings key is refused
    settings: {frobnicate: true}
    expect:
      settingsValid: false
      message: frobnicate
  - name: services are never sent to this policy
    request: requests/create-service.yaml
    expect: {routed: false}
  - name: ephemeral containers are routed
    request: requests/update-pod-ephemeralcontainers.yaml
    expect: {allowed: true, routed: true}
"#;

const FAILING: &str = r#"
cases:
  - name: wrong verdict
    request: requests/create-pod.yaml
    settings: {accepted: true}
    expect: {allowed: false}
  - name: wrong message and code
    request: requests/create-pod.yaml
    settings: {accepted: false, message: "actual text", code: 403}
    expect: {allowed: false, code: 400, message: "expected text", notMessage: actual}
  - name: unrouted without saying so
    request: requests/create-service.yaml
    settings: {accepted: true}
    expect: {allowed: true}
  - name: invalid settings in a verdict case
    request: requests/create-pod.yaml
    settings: {frobnicate: 1}
    expect: {allowed: true}
  - name: missing request file
    request: requests/nope.yaml
    settings: {accepted: true}
    expect: {allowed: true}
  - name: wrong patch
    request: requests/create-pod.yaml
    allowedToMutate: true
    settings: {accepted: true, mutated_object: {metadata: {name: x}}}
    expect: {allowed: true, patch: [{op: add, path: /x, value: 1}]}
  - name: settings unexpectedly valid
    settings: {accepted: true}
    expect: {settingsValid: false}
  - name: no verdict expected
    request: requests/create-pod.yaml
    settings: {accepted: true}
    expect: {}
  - name: passes among failures
    request: requests/create-pod.yaml
    settings: {accepted: true}
    expect: {allowed: true}
"#;

fn requests(dir: &Path) {
    write(
        &dir.join("requests/create-pod.yaml"),
        serde_yaml::to_string(&pod_request()).expect("yaml"),
    );
    let mut service = pod_request();
    service["kind"] = json!({"group": "", "version": "v1", "kind": "Service"});
    service["resource"] = json!({"group": "", "version": "v1", "resource": "services"});
    service["object"] = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}});
    write(
        &dir.join("requests/create-service.yaml"),
        serde_json::to_string(&service).expect("json"),
    );
    let mut ephemeral = pod_request();
    ephemeral["operation"] = json!("UPDATE");
    ephemeral["subResource"] = json!("ephemeralcontainers");
    ephemeral["oldObject"] = ephemeral["object"].clone();
    let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": ephemeral});
    write(
        &dir.join("requests/update-pod-ephemeralcontainers.yaml"),
        serde_yaml::to_string(&review).expect("yaml"),
    );
}

/// A scratch workspace: policies/<id>/{cases.yaml,requests/*} and dist/<id>.wasm.
fn workspace(policies: &[(&str, &str, bool)]) -> PathBuf {
    let root = scratch("suite");
    let h = harness();
    let annotated = host_test::annotate(
        &h,
        "echo",
        &wasm("echo"),
        Metadata::from_yaml(METADATA).expect("metadata"),
        None,
    )
    .expect("annotates");
    for (id, cases, with_module) in policies {
        let dir = root.join("policies").join(id);
        write(&dir.join("cases.yaml"), cases);
        requests(&dir);
        if *with_module {
            write(&root.join("dist").join(format!("{id}.wasm")), &annotated);
        }
    }
    root
}

#[test]
fn passing_suite_passes() {
    let root = workspace(&[("echo-policy", PASSING, true)]);
    let h = harness();
    let module = h
        .load_module(root.join("dist/echo-policy.wasm"))
        .expect("loads");
    let suite = load_suite(root.join("policies/echo-policy/cases.yaml")).expect("suite");
    let report = run_suite(&module, &suite, &RunOptions::default()).expect("runs");
    assert_eq!(report.failed(), 0, "{}", report.render_failures());
    assert_eq!(report.passed(), 8);
    let routed: Vec<Option<bool>> = report.cases.iter().map(|c| c.routed).collect();
    assert_eq!(routed[6], Some(false));
    assert_eq!(routed[7], Some(true));
}

#[test]
fn failing_cases_are_reported_with_details() {
    let root = workspace(&[("echo-policy", FAILING, true)]);
    let h = harness();
    let module = h
        .load_module(root.join("dist/echo-policy.wasm"))
        .expect("loads");
    let suite = load_suite(root.join("policies/echo-policy/cases.yaml")).expect("suite");
    let report = run_suite(
        &module,
        &suite,
        &RunOptions {
            policy_id: Some("echo-policy".to_owned()),
            allow_unannotated: false,
        },
    )
    .expect("runs");
    assert_eq!(report.passed(), 1);
    assert_eq!(report.failed(), 8);
    let problems = |name: &str| {
        report
            .cases
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.problems.join("; "))
            .expect(name)
    };
    assert_eq!(
        problems("wrong verdict"),
        "allowed: expected false, got true"
    );
    let p = problems("wrong message and code");
    assert!(p.contains("code: expected 400, got 403"), "{p}");
    assert!(
        p.contains(r#"message: expected to contain "expected text", got "actual text""#),
        "{p}"
    );
    assert!(p.contains(r#"notMessage: "actual" must not appear"#), "{p}");
    assert!(
        problems("unrouted without saying so").contains("do not match CREATE core/v1 services")
    );
    assert_eq!(
        problems("invalid settings in a verdict case"),
        "settings are not valid: unknown settings key frobnicate"
    );
    assert!(problems("missing request file").contains("cannot read request"));
    assert!(problems("wrong patch").starts_with("patch: expected [{\"op\":\"add\""));
    assert!(problems("settings unexpectedly valid").contains("settingsValid: expected false"));
    assert!(problems("no verdict expected").contains("expect.allowed is required"));

    let rendered = report.render_failures();
    assert!(
        rendered.contains("FAIL echo-policy :: wrong verdict: allowed: expected false, got true\n")
    );
    assert!(rendered.contains("    response: {\"uid\":"), "{rendered}");
}

#[test]
fn suite_files_are_strict() {
    let dir = scratch("strict");
    let path = dir.join("cases.yaml");
    write(&path, "cases:\n  - name: a\n    expect: {allowd: true}\n");
    assert!(load_suite(&path).is_err(), "unknown keys are errors");
    write(
        &path,
        "cases:\n  - name: a\n    expect: {allowed: true}\n  - name: a\n    expect: {allowed: true}\n",
    );
    let e = load_suite(&path).expect_err("duplicate");
    assert!(e.to_string().contains("more than one case named 'a'"));
}

#[test]
fn unannotated_modules_are_refused_unless_allowed() {
    let root = workspace(&[("echo-policy", PASSING, false)]);
    let h = harness();
    let module = h.load_module_bytes("echo", &wasm("echo")).expect("loads");
    let suite = load_suite(root.join("policies/echo-policy/cases.yaml")).expect("suite");
    assert!(run_suite(&module, &suite, &RunOptions::default()).is_err());
    let report = run_suite(
        &module,
        &suite,
        &RunOptions {
            policy_id: Some("echo-policy".to_owned()),
            allow_unannotated: true,
        },
    )
    .expect("runs");
    // Without metadata nothing can be routed, so the routed:false case fails.
    assert_eq!(report.failed(), 1, "{}", report.render_failures());
}

fn host_test(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_host-test"))
        .args(args)
        .env("HOST_TEST_CACHE", "")
        .output()
        .expect("host-test runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn cli_test_counts_cases_and_sets_the_exit_code() {
    let root = workspace(&[("echo-policy", PASSING, true)]);
    let (code, stdout, stderr) = host_test(&["test", "--root", s(&root)]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout.lines().last(), Some("8 passed, 0 failed"));

    let root = workspace(&[
        ("echo-policy", PASSING, true),
        ("broken-policy", FAILING, true),
    ]);
    let (code, stdout, _) = host_test(&["test", "--root", s(&root)]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(stdout.lines().last(), Some("9 passed, 8 failed"));
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("FAIL broken-policy :: "))
            .count(),
        8
    );
    let (code, stdout, _) = host_test(&["test", "--root", s(&root), "echo-policy"]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().last(), Some("8 passed, 0 failed"));
    let (code, _, stderr) = host_test(&["test", "--root", s(&root), "no-such-policy"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no policy 'no-such-policy'"));

    let root = workspace(&[
        ("echo-policy", PASSING, true),
        ("missing-policy", PASSING, false),
    ]);
    let (code, stdout, _) = host_test(&["test", "--root", s(&root)]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.contains("ERROR missing-policy: module"));
    assert_eq!(stdout.lines().last(), Some("8 passed, 8 failed"));
}

#[test]
fn cli_run_verify_annotate_inspect() {
    let root = workspace(&[("echo-policy", PASSING, true)]);
    let module = root.join("dist/echo-policy.wasm");
    let request = root.join("policies/echo-policy/requests/create-pod.yaml");

    let (code, stdout, _) = host_test(&[
        "run",
        "--module",
        s(&module),
        "--request",
        s(&request),
        "--settings-json",
        r#"{"accepted":false,"message":"no","code":418}"#,
    ]);
    assert_eq!(code, 0, "kwctl run exits 0 on a rejection");
    assert_eq!(
        stdout,
        "{\"uid\":\"1299d386-525b-4032-98ae-1949f69f9cfc\",\"allowed\":false,\"status\":{\"message\":\"no\",\"code\":418},\"auditAnnotations\":null,\"warnings\":null}\n"
    );
    let (code, _, _) = host_test(&[
        "run",
        "--module",
        s(&module),
        "--request",
        s(&request),
        "--settings-json",
        r#"{"accepted":false}"#,
        "--exit-code",
    ]);
    assert_eq!(code, 1);
    let settings = root.join("settings.yaml");
    write(&settings, "accepted: true\n");
    let (code, stdout, _) = host_test(&[
        "run",
        "--module",
        s(&module),
        "--request",
        s(&request),
        "--settings",
        s(&settings),
        "--exit-code",
    ]);
    assert_eq!(code, 0);
    assert!(stdout.contains("\"allowed\":true"));
    let (code, stdout, stderr) = host_test(&[
        "run",
        "--module",
        s(&module),
        "--request",
        s(&request),
        "--settings-json",
        r#"{"frobnicate":1}"#,
    ]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert_eq!(
        stderr,
        "Provided settings are not valid: unknown settings key frobnicate\n"
    );

    // Unannotated modules need --allow-unannotated.
    let raw = root.join("raw.wasm");
    write(&raw, wasm("echo"));
    let (code, _, stderr) = host_test(&["run", "--module", s(&raw), "--request", s(&request)]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no io.kubewarden.metadata section"),
        "{stderr}"
    );
    let (code, _, _) = host_test(&[
        "run",
        "--module",
        s(&raw),
        "--request",
        s(&request),
        "--allow-unannotated",
        "--settings-json",
        r#"{"accepted":true}"#,
    ]);
    assert_eq!(code, 0);

    // inspect
    let (code, stdout, _) = host_test(&["inspect", s(&raw)]);
    assert_eq!(code, 1);
    assert!(stdout.contains("has no io.kubewarden.metadata section"));
    let (code, stdout, _) = host_test(&["inspect", s(&module)]);
    assert_eq!(code, 0);
    assert!(stdout.contains("\"protocolVersion\": \"v1\""), "{stdout}");

    // annotate
    let metadata = root.join("metadata.yml");
    write(&metadata, METADATA);
    let readme = root.join("README.md");
    write(&readme, "# Echo\n");
    let out = root.join("out/annotated.wasm");
    let (code, _, stderr) = host_test(&[
        "annotate",
        "-m",
        s(&metadata),
        "-u",
        s(&readme),
        "-o",
        s(&out),
        s(&raw),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, _) = host_test(&["inspect", s(&out)]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("\"io.kubewarden.policy.usage\": \"# Echo\\n\""),
        "{stdout}"
    );

    // verify
    let suite = root.join("policies/echo-policy/cases.yaml");
    let (code, stdout, _) = host_test(&[
        "verify",
        s(&suite),
        "--module",
        s(&out),
        "--policy-id",
        "echo-policy",
    ]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(stdout.lines().last(), Some("8 passed, 0 failed"));
    let failing = root.join("failing.yaml");
    write(&failing, FAILING);
    std::fs::create_dir_all(root.join("requests")).expect("dir");
    requests(&root);
    let (code, stdout, _) = host_test(&["verify", s(&failing), "--module", s(&out)]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(stdout.lines().last(), Some("1 passed, 8 failed"));

    // usage errors
    let (code, _, _) = host_test(&["run", "--module", s(&module)]);
    assert_eq!(code, 2);
}

#[test]
fn on_disk_cache_is_written_and_reused() {
    let dir = scratch("cache");
    let h = host_test::Harness::new(host_test::HarnessConfig {
        cache_dir: Some(dir.clone()),
        ..host_test::HarnessConfig::default()
    })
    .expect("harness");
    // A module no other test compiles, so the in-memory cache cannot answer first.
    let bytes = wat::parse_str(
        r#"(module (memory (export "memory") 1) (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 0)) (func (export "cache_marker")))"#,
    )
    .expect("wat");
    h.load_module_bytes("cached", &bytes).expect("loads");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("cache dir")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
        .collect();
    assert_eq!(files.len(), 1);
}

#[test]
fn workspace_discovery_and_run() {
    let root = workspace(&[
        ("a-passing", PASSING, true),
        ("b-failing", FAILING, true),
        ("c-missing", PASSING, false),
    ]);
    let dist = root.join("dist");
    let all = host_test::discover(&root, &dist, &[]).expect("lists");
    let ids: Vec<&str> = all.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["a-passing", "b-failing", "c-missing"]);
    assert_eq!(all[0].module, dist.join("a-passing.wasm"));
    let e = host_test::discover(&root, &dist, &["zzz".to_owned()]).expect_err("unknown");
    assert!(e.to_string().contains("no policy 'zzz'"));

    let report = host_test::run_workspace(&harness(), &all, false);
    assert_eq!(
        (report.passed(), report.failed(), report.errors()),
        (9, 16, 1)
    );
    let rendered = report.render();
    assert!(rendered.ends_with("9 passed, 16 failed\n"), "{rendered}");
    assert!(rendered.contains("ERROR c-missing: module"));

    let only = host_test::discover(&root, &dist, &["a-passing".to_owned()]).expect("lists");
    let report = host_test::run_workspace(&harness(), &only, false);
    assert_eq!(
        (report.passed(), report.failed(), report.errors()),
        (8, 0, 0)
    );
}
