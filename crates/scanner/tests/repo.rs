//! Repositories as real ones are: the fixture tree `tests/data/repo` holds a kustomize base and
//! an overlay (a patch file and a namespace transformer), a Helm chart, a Go-template file, a
//! CI workflow, a CRD with its custom resource, namespace-less files, a file with a byte order
//! mark, an unknown kind, a removed API version and a kube-system agent. Read as `aks-scan` reads a repository;
//! scanned with the `echo` test guest (its settings are its verdict) for the kinds, the cluster
//! context and the reports.
//!
//! The kustomize tests need `kustomize` or `kubectl` on PATH (a prerequisite of `make test`,
//! named in the README); without one they fail saying so, unless
//! `SCANNER_TEST_WITHOUT_KUSTOMIZE=1` is set, when they print that they were skipped.

mod common;

use std::path::{Path, PathBuf};

use admission::kinds::KindCatalog;
use admission::request::{RequestDefaults, admission_request_in};
use host_test::ClusterFixture;
use host_test::metadata::Metadata;
use scanner::repo::{KustomizeMode, RepoOptions, find_renderer, read_repository};
use scanner::{Manifests, ScanOptions, ScanPolicy};
use serde_json::{Value, json};

use common::{harness, wasm};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/repo")
}

fn path(relative: &str) -> PathBuf {
    repo().join(relative)
}

/// The renderer on PATH, or `None` when the tests may run without one (and say so).
fn renderer() -> Option<scanner::repo::Renderer> {
    match find_renderer() {
        Some(renderer) => Some(renderer),
        None if std::env::var_os("SCANNER_TEST_WITHOUT_KUSTOMIZE").is_some() => {
            eprintln!(
                "SKIPPED: neither kustomize nor kubectl is on PATH (SCANNER_TEST_WITHOUT_KUSTOMIZE is set)"
            );
            None
        }
        None => panic!(
            "neither kustomize nor kubectl is on PATH: install kubectl (a prerequisite of make test, see the README), or set SCANNER_TEST_WITHOUT_KUSTOMIZE=1 to skip the kustomize tests"
        ),
    }
}

fn read(
    paths: &[PathBuf],
    mode: KustomizeMode,
    renderer: Option<scanner::repo::Renderer>,
) -> Manifests {
    read_repository(
        paths,
        &RepoOptions {
            kustomize: mode,
            renderer,
        },
    )
}

/// (kind, name, namespace) of every object read.
fn objects(manifests: &Manifests) -> Vec<(String, String, Option<String>)> {
    manifests
        .objects
        .iter()
        .map(|m| {
            (
                m.kind().to_owned(),
                m.name().unwrap_or("").to_owned(),
                m.object
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            )
        })
        .collect()
}

fn triple(kind: &str, name: &str, namespace: Option<&str>) -> (String, String, Option<String>) {
    (
        kind.to_owned(),
        name.to_owned(),
        namespace.map(str::to_owned),
    )
}

#[test]
fn a_kustomize_tree_is_scanned_as_each_overlay_renders_it() {
    let Some(renderer) = renderer() else { return };
    let manifests = read(&[path("kustomize")], KustomizeMode::Auto, Some(renderer));
    assert!(manifests.errors.is_empty(), "{:?}", manifests.errors);
    // The base is used by the overlay: only the overlay is rendered, with its namespace and
    // patch; neither the base's files nor the patch file are read on their own.
    assert_eq!(
        objects(&manifests),
        vec![
            triple("Service", "web", Some("shop")),
            triple("Deployment", "web", Some("shop")),
        ]
    );
    let deployment = &manifests.objects[1];
    assert_eq!(deployment.object.pointer("/spec/replicas"), Some(&json!(3)));
    // Located at the base file it came from (kustomize's origin annotation, then removed).
    assert!(
        deployment.file.ends_with("kustomize/base/deployment.yaml"),
        "{}",
        deployment.file
    );
    assert_eq!(deployment.line, 1);
    assert_eq!(deployment.object.pointer("/metadata/annotations"), None);
    assert!(
        manifests
            .info
            .iter()
            .any(|n| n.message.contains("rendered with") && n.message.contains("(2 objects)")),
        "{:?}",
        manifests.info
    );
}

#[test]
fn a_base_given_alone_is_rendered_itself() {
    let Some(renderer) = renderer() else { return };
    let manifests = read(
        &[path("kustomize/base")],
        KustomizeMode::Always,
        Some(renderer),
    );
    assert!(manifests.errors.is_empty(), "{:?}", manifests.errors);
    assert_eq!(
        objects(&manifests),
        vec![
            triple("Service", "web", None),
            triple("Deployment", "web", None)
        ]
    );
}

#[test]
fn without_a_renderer_kustomizations_are_read_raw_or_refused() {
    // auto: the files are read as they are, with a note; the patch file and the
    // kustomization files are not objects of the cluster and are left out.
    let manifests = read(&[path("kustomize")], KustomizeMode::Auto, None);
    assert!(manifests.errors.is_empty(), "{:?}", manifests.errors);
    assert_eq!(
        objects(&manifests),
        vec![
            triple("Deployment", "web", None),
            triple("Service", "web", None)
        ]
    );
    assert!(
        manifests.notes[0].message.contains("not rendered"),
        "{:?}",
        manifests.notes
    );
    // always: an input error naming the kustomization.
    let manifests = read(&[path("kustomize")], KustomizeMode::Always, None);
    assert_eq!(manifests.errors.len(), 1, "{:?}", manifests.errors);
    assert!(manifests.errors[0].file.ends_with("overlays/prod"));
    assert!(manifests.errors[0].message.contains("--kustomize always"));
    // never: every file as it is (the strategic-merge patch included: it looks like an object).
    let manifests = read(&[path("kustomize")], KustomizeMode::Never, None);
    assert_eq!(manifests.objects.len(), 3);
    assert_eq!(
        manifests.skipped.len(),
        2,
        "the two Kustomization documents"
    );
}

#[test]
fn charts_templates_workflows_and_byte_order_marks() {
    let manifests = read(
        &[
            path("chart"),
            path("templated.yaml"),
            path("ci"),
            path("plain/bom.yaml"),
        ],
        KustomizeMode::Never,
        None,
    );
    assert!(manifests.errors.is_empty(), "{:?}", manifests.errors);
    // The BOM file is a Namespace like any other.
    assert_eq!(objects(&manifests), vec![triple("Namespace", "shop", None)]);
    // The chart is reported once, with the command that renders it; its files are not read.
    let chart: Vec<_> = manifests
        .notes
        .iter()
        .filter(|n| n.message.starts_with("a Helm chart"))
        .collect();
    assert_eq!(chart.len(), 1, "{:?}", manifests.notes);
    assert!(chart[0].message.contains("helm template RELEASE"));
    // The Go template outside a chart is noted, not an error.
    assert!(
        manifests
            .notes
            .iter()
            .any(|n| n.file.ends_with("templated.yaml") && n.message.contains("a Go template")),
        "{:?}",
        manifests.notes
    );
    // The workflow is skipped, summed up in one line.
    assert_eq!(manifests.skipped.len(), 1);
    let summary = manifests.skipped_summary().expect("a summary");
    assert!(
        summary.starts_with("skipped 1 YAML document that is not a Kubernetes object"),
        "{summary}"
    );
    assert!(summary.contains("ci/workflow.yaml"), "{summary}");
}

#[test]
fn kinds_scope_and_removed_api_versions() {
    let manifests = read(&[path("crd"), path("plain")], KustomizeMode::Never, None);
    assert!(manifests.errors.is_empty(), "{:?}", manifests.errors);
    let catalog = KindCatalog::new(
        &ClusterFixture::empty(),
        manifests.objects.iter().map(|m| &m.object),
    );
    let request = |kind: &str, name: &str| -> Value {
        let (index, manifest) = manifests
            .objects
            .iter()
            .enumerate()
            .find(|(_, m)| m.kind() == kind && m.name() == Some(name))
            .expect("present");
        admission_request_in(
            &manifest.object,
            index + 1,
            &RequestDefaults::default(),
            &catalog,
        )
    };
    // A CRD among the inputs teaches its kind.
    let gadget = request("Gadget", "g1");
    assert_eq!(gadget["resource"]["resource"], "gadgets");
    assert_eq!(gadget["namespace"], "shop");
    // Unknown kinds: the conventional plural; the scope from metadata.namespace.
    let mystery = request("Mystery", "m1");
    assert_eq!(mystery["resource"]["resource"], "mysteries");
    assert_eq!(mystery["namespace"], "shop");
    let cluster_mystery = request("ClusterMystery", "cm1");
    assert!(cluster_mystery.get("namespace").is_none());
    // A namespace-less namespaced object goes to the default namespace, in the object too.
    let config = request("ConfigMap", "settings");
    assert_eq!(config["namespace"], "default");
    assert_eq!(config["object"]["metadata"]["namespace"], "default");
    // A cluster-scoped object loses a stray namespace, as the API server clears it.
    let role = request("ClusterRole", "reader");
    assert!(role.get("namespace").is_none());
    assert!(role["object"]["metadata"].get("namespace").is_none());
    // A removed API version is the built-in kind it was.
    let legacy = request("DaemonSet", "agent");
    assert_eq!(
        legacy["resource"],
        json!({"group": "extensions", "version": "v1beta1", "resource": "daemonsets"})
    );
    assert!(catalog.lookup("extensions", "DaemonSet").is_some());
    assert!(
        catalog
            .lookup("policy", "PodSecurityPolicy")
            .is_some_and(|(info, _)| info.cluster_scoped)
    );
}

/// The echo guest routed for every resource: it answers what its settings say.
const EVERYTHING: &str = r#"
rules:
  - apiGroups: ["*"]
    apiVersions: ["*"]
    resources: ["*"]
    operations: ["CREATE"]
mutating: false
annotations:
  io.aks-baseline-policies/controls: ASB 4.2
"#;

fn echo_policy(answer: Value) -> ScanPolicy {
    echo_policy_with(EVERYTHING, answer)
}

fn echo_policy_with(metadata: &str, answer: Value) -> ScanPolicy {
    let h = harness();
    let bytes = host_test::annotate(
        &h,
        "echo",
        &wasm("echo"),
        Metadata::from_yaml(metadata).expect("metadata"),
        None,
    )
    .expect("annotates");
    let module = h.load_module_bytes("echo", &bytes).expect("loads");
    ScanPolicy::new("echo", module, answer)
}

/// As a rendered profile deploys a policy, its namespaceSelector leaves the excluded
/// namespaces out: objects in them, and the Namespace objects themselves, are not evaluated
/// (with one note per namespace); cluster-scoped objects and other namespaces are.
#[test]
fn a_profiles_excluded_namespaces_are_not_evaluated() {
    let manifests = || {
        read(
            &[path("system/agent.yaml"), path("plain/namespaceless.yaml")],
            KustomizeMode::Never,
            None,
        )
    };
    let mut policy =
        echo_policy(json!({"accepted": false, "message": "no [ASB 4.2]", "code": 400}));
    let everything = scanner::scan(
        std::slice::from_ref(&policy),
        manifests(),
        &ScanOptions::default(),
    );
    let judged = |report: &scanner::ScanReport| -> Vec<(String, Option<String>)> {
        report
            .findings
            .iter()
            .map(|f| (f.kind.clone(), f.namespace.clone()))
            .collect()
    };
    assert!(
        judged(&everything).contains(&("DaemonSet".to_owned(), Some("kube-system".to_owned()))),
        "without a profile nothing is excluded: {:?}",
        judged(&everything)
    );
    policy.excluded_namespaces = vec!["kube-system".to_owned(), "kube-public".to_owned()];
    let report = scanner::scan(&[policy], manifests(), &ScanOptions::default());
    let seen = judged(&report);
    assert!(
        !seen
            .iter()
            .any(|(kind, ns)| ns.as_deref() == Some("kube-system") || kind == "Namespace"),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("ConfigMap".to_owned(), Some("default".to_owned()))),
        "{seen:?}"
    );
    assert!(seen.contains(&("ClusterRole".to_owned(), None)), "{seen:?}");
    assert_eq!(seen.len() + 2, everything.findings.len());
    let notes: Vec<String> = report.notes.iter().map(ToString::to_string).collect();
    assert!(
        notes.iter().any(|n| n.starts_with(
            "2 objects in namespace \"kube-system\" not evaluated by 1 of the profile's policies: their namespaceSelector"
        )),
        "{notes:?}"
    );
    // A note of the whole scan has no file: none in JSON, no location in SARIF.
    let json: Value = serde_json::from_str(&report.render_json()).expect("json");
    let note = json["notes"]
        .as_array()
        .and_then(|n| {
            n.iter().find(|n| {
                n["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("kube-system"))
            })
        })
        .expect("the note in JSON");
    assert!(note.get("file").is_none(), "{note}");
    common::schemas::assert_valid_sarif(&report.render_sarif(Path::new(".")));
    common::schemas::assert_valid_junit(&report.render_junit());
}

/// A policy that judges by objects only a running cluster holds (the annotation
/// `io.aks-baseline-policies/scan-needs-objects`, block-vulnerable-images' VulnerabilityReports)
/// is not run while the scan's cluster holds none of them, with a note saying how to give them;
/// with one in the cluster fixture it runs.
#[test]
fn a_policy_that_needs_cluster_data_runs_only_with_it() {
    let metadata = format!(
        "{EVERYTHING}  {}: storage.sbomscanner.kubewarden.io/v1alpha1/VulnerabilityReport\n",
        scanner::policies::SCAN_NEEDS_ANNOTATION
    );
    let policy = echo_policy_with(
        &metadata,
        json!({"accepted": false, "message": "unscanned", "code": 400}),
    );
    let manifests = || {
        read(
            &[path("plain/namespaceless.yaml")],
            KustomizeMode::Never,
            None,
        )
    };
    let report = scanner::scan(
        std::slice::from_ref(&policy),
        manifests(),
        &ScanOptions::default(),
    );
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert_eq!(report.exit_code(), 0);
    let notes: Vec<String> = report.notes.iter().map(ToString::to_string).collect();
    assert!(
        notes.iter().any(|n| n.starts_with("policy echo not run: it judges by storage.sbomscanner.kubewarden.io/v1alpha1/VulnerabilityReport objects")
            && n.contains("`kubectl get vulnerabilityreports.storage.sbomscanner.kubewarden.io -A -o yaml`")),
        "{notes:?}"
    );
    let cluster = ClusterFixture::parse(
        "apiVersion: storage.sbomscanner.kubewarden.io/v1alpha1
kind: VulnerabilityReport
metadata: {name: r1, namespace: sbomscanner}
",
        "inline",
    )
    .expect("fixture");
    let report = scanner::scan(
        &[policy],
        manifests(),
        &ScanOptions {
            cluster: Some(std::sync::Arc::new(cluster)),
            ..ScanOptions::default()
        },
    );
    assert!(!report.findings.is_empty());
    assert_eq!(report.exit_code(), 1);
    assert!(!report.notes.iter().any(|n| n.message.contains("not run")));
}

#[test]
fn unknown_kinds_are_warnings_unless_strict() {
    let manifests = || read(&[path("plain/unknown.yaml")], KustomizeMode::Never, None);
    let policy = echo_policy(json!({"accepted": true}));
    let report = scanner::scan(
        std::slice::from_ref(&policy),
        manifests(),
        &ScanOptions::default(),
    );
    assert!(report.input_errors.is_empty(), "{:?}", report.input_errors);
    // Two unknown kinds, and the namespace "shop" used but not defined.
    assert_eq!(report.warnings.len(), 3, "{:?}", report.warnings);
    assert!(
        report.warnings[0]
            .message
            .contains("scanned as namespaced (it has metadata.namespace), resource mysteries (--strict-kinds makes this an error)"),
        "{}",
        report.warnings[0]
    );
    assert_eq!(
        report.findings.len(),
        2,
        "unknown kinds are still evaluated"
    );
    assert_eq!(report.exit_code(), 0);
    let strict = scanner::scan(
        &[policy],
        manifests(),
        &ScanOptions {
            allow_unknown_kinds: false,
            ..ScanOptions::default()
        },
    );
    assert_eq!(strict.input_errors.len(), 2);
    assert_eq!(
        strict.exit_code(),
        1,
        "input errors fail the scan; 2 is for usage errors"
    );
}

#[test]
fn warnings_of_accepted_objects_reach_every_format() {
    let manifests = read(
        &[path("plain/namespaceless.yaml")],
        KustomizeMode::Never,
        None,
    );
    let policy = echo_policy(json!({"accepted": true, "warnings": ["get on secrets recorded"]}));
    let report = scanner::scan(&[policy], manifests, &ScanOptions::default());
    assert_eq!(report.exit_code(), 0);
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.warnings == ["get on secrets recorded"])
    );
    let table = report.render_table();
    assert!(table.contains("Warnings of accepted objects\n"), "{table}");
    assert!(
        table.contains("    NOTE  echo  [ASB 4.2]  get on secrets recorded\n"),
        "{table}"
    );
    // The cluster-scoped ClusterRole is printed without a namespace.
    assert!(table.contains("  ClusterRole reader\n"), "{table}");
    let json: Value = serde_json::from_str(&report.render_json()).expect("json");
    assert_eq!(
        json["findings"][0]["warnings"],
        json!(["get on secrets recorded"])
    );
    let sarif: Value = serde_json::from_str(&report.render_sarif(Path::new("."))).expect("sarif");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["level"], "note");
    common::schemas::assert_valid_sarif(&report.render_sarif(Path::new(".")));
    let junit = report.render_junit();
    assert!(
        junit.contains("<system-out>warning: get on secrets recorded</system-out>"),
        "{junit}"
    );
    common::schemas::assert_valid_junit(&junit);
    let markdown = report.render_markdown();
    assert!(
        markdown.contains("#### Warnings of accepted objects"),
        "{markdown}"
    );
    let reports = report.policy_reports(0);
    assert_eq!(reports[0]["results"][0]["result"], "warn");
}

#[test]
fn findings_are_grouped_by_file_and_object_with_all_their_controls() {
    let manifests = read(
        &[path("plain/namespaceless.yaml")],
        KustomizeMode::Never,
        None,
    );
    let policy = echo_policy(
        json!({"accepted": false, "message": "ConfigMap default/settings: is not allowed [ASB 4.2]", "code": 400}),
    );
    let report = scanner::scan(&[policy], manifests, &ScanOptions::default());
    let table = report.render_table();
    let file = path("plain/namespaceless.yaml").display().to_string();
    assert!(
        table.starts_with(&format!(
            "{file}\n  :1  ConfigMap default/settings\n    FAIL  echo  high  [ASB 4.2]  -\n          is not allowed\n"
        )),
        "{table}"
    );
    let by_control = report.render_table_grouped(scanner::report::table::GroupBy::Control);
    assert!(by_control.starts_with("ASB 4.2\n"), "{by_control}");
}

#[test]
fn policy_reports_follow_the_upstream_crd() {
    let manifests = read(&[path("plain"), path("crd")], KustomizeMode::Never, None);
    let rejecting =
        echo_policy(json!({"accepted": false, "message": "rejected [ASB 4.2]", "code": 400}));
    let report = scanner::scan(&[rejecting], manifests, &ScanOptions::default());
    let reports = report.policy_reports(1_700_000_000);
    let kinds: Vec<(&str, Option<&str>)> = reports
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap_or(""),
                r.pointer("/metadata/namespace").and_then(Value::as_str),
            )
        })
        .collect();
    // One PolicyReport per namespace in name order, then the cluster report.
    assert_eq!(
        kinds,
        vec![
            ("PolicyReport", Some("default")),
            ("PolicyReport", Some("shop")),
            ("ClusterPolicyReport", None),
        ]
    );
    for r in &reports {
        assert_eq!(r["apiVersion"], "wgpolicyk8s.io/v1alpha2");
        let problems = common::schemas::policyreport_problems(r);
        assert!(problems.is_empty(), "{problems:#?}\n{r:#}");
    }
    let result = &reports[1]["results"][0];
    assert_eq!(result["policy"], "echo");
    assert_eq!(result["result"], "fail");
    assert_eq!(result["category"], "ASB 4.2");
    assert_eq!(result["severity"], "high");
    assert_eq!(result["resources"][0]["namespace"], "shop");
    assert_eq!(
        reports[1]["summary"]["fail"],
        json!(reports[1]["results"].as_array().map(Vec::len))
    );
    // The check can fail: a result the CRD does not know is refused.
    let mut broken = reports[0].clone();
    broken["results"][0]["result"] = json!("denied");
    broken["results"][0]["colour"] = json!("red");
    assert_eq!(common::schemas::policyreport_problems(&broken).len(), 2);
    // The stream applies with kubectl: documents separated by ---.
    let text = report.render_policy_reports();
    assert_eq!(text.matches("---\n").count(), 3);
}

fn data(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(relative)
}

/// kustomize's origin tracking: each rendered object names the file it came from (and the
/// line of its document there), the annotation is gone before any policy sees the object,
/// and a generated object (no source file) points at the kustomization.
#[test]
fn kustomize_objects_point_at_their_source_files() {
    let Some(renderer) = renderer() else { return };
    let dir = data("origins/app");
    let manifests = read(
        std::slice::from_ref(&dir),
        KustomizeMode::Auto,
        Some(renderer),
    );
    assert!(manifests.errors.is_empty(), "{:?}", manifests.errors);
    let located: Vec<(String, String, usize)> = manifests
        .objects
        .iter()
        .map(|m| (m.kind().to_owned(), m.file.clone(), m.line))
        .collect();
    let workloads = dir.join("workloads.yaml").display().to_string();
    let kustomization = dir.join("kustomization.yaml").display().to_string();
    assert_eq!(
        located,
        vec![
            ("ServiceAccount".to_owned(), workloads.clone(), 3),
            ("ConfigMap".to_owned(), kustomization, 1),
            ("Deployment".to_owned(), workloads, 8),
        ]
    );
    for manifest in &manifests.objects {
        let text = manifest.object.to_string();
        assert!(
            !text.contains("config.kubernetes.io/origin"),
            "the origin annotation reached the object: {text}"
        );
        assert!(
            manifest
                .source
                .as_deref()
                .is_some_and(|s| s.contains("kustomize"))
        );
    }
    // The annotations the user wrote stay; an object that had none has none.
    assert_eq!(
        manifests.objects[2].object.pointer("/metadata/annotations"),
        Some(&json!({"team": "shop"}))
    );
    assert_eq!(
        manifests.objects[0].object.pointer("/metadata/annotations"),
        None
    );
    // A note, not a warning: nothing to act on.
    assert!(manifests.notes.is_empty(), "{:?}", manifests.notes);
    assert!(
        manifests
            .info
            .iter()
            .any(|n| n.message.contains("rendered with")),
        "{:?}",
        manifests.info
    );
}

/// A file that cannot be read (a duplicate mapping key) is reported in every format with
/// what kubectl would do with it, the rest is scanned, and it fails the scan by default
/// (exit 1, never 2) or is only reported with `--input-errors warn`.
#[test]
fn input_errors_reach_every_format_and_decide_the_exit_code_as_told() {
    let inputs = || {
        read(
            &[data("inputs/duplicate-key.yaml"), data("inputs/good.yaml")],
            KustomizeMode::Never,
            None,
        )
    };
    let policy = echo_policy(json!({"accepted": true}));
    let report = scanner::scan(
        std::slice::from_ref(&policy),
        inputs(),
        &ScanOptions::default(),
    );
    assert_eq!(report.objects, 1, "the good file is still scanned");
    assert_eq!(report.input_errors.len(), 1, "{:?}", report.input_errors);
    let error = &report.input_errors[0];
    assert!(error.file.ends_with("inputs/duplicate-key.yaml"), "{error}");
    assert!(
        error.message.contains("duplicate")
            && error
                .message
                .contains("`kubectl apply -f` would silently keep only the last value")
            && error.message.contains("kustomize refuse"),
        "{error}"
    );
    assert_eq!(
        report.exit_code(),
        1,
        "input errors fail the scan by default"
    );

    let table = report.render_table();
    assert!(
        table.contains("Inputs not scanned (they fail the scan"),
        "{table}"
    );
    assert!(
        table.contains("  ERROR  ") && table.contains("duplicate-key.yaml"),
        "{table}"
    );
    let json: Value = serde_json::from_str(&report.render_json()).expect("json");
    assert_eq!(json["summary"]["inputErrors"], "fail");
    assert_eq!(json["summary"]["exitCode"], 1);
    assert!(
        json["inputErrors"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("duplicate-key.yaml")
    );
    let sarif_text = report.render_sarif(Path::new("."));
    common::schemas::assert_valid_sarif(&sarif_text);
    let sarif: Value = serde_json::from_str(&sarif_text).expect("sarif");
    let notifications = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert!(
        notifications
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["level"] == "error"
                && n["message"]["text"].as_str().unwrap().contains("duplicate")),
        "{notifications:#}"
    );
    let junit = report.render_junit();
    common::schemas::assert_valid_junit(&junit);
    assert!(junit.contains("<error type=\"input\""), "{junit}");
    let markdown = report.render_markdown();
    assert!(markdown.contains("#### Input errors"), "{markdown}");
    assert!(
        markdown.starts_with("### ❌ Manifest scan: 1 input(s) could not be read"),
        "{markdown}"
    );
    let reports = report.policy_reports(0);
    let cluster = reports
        .iter()
        .find(|r| r["kind"] == "ClusterPolicyReport")
        .expect("input errors go to the cluster report");
    let result = &cluster["results"][0];
    assert_eq!(result["policy"], "input");
    assert_eq!(result["result"], "error");
    assert_eq!(cluster["summary"]["error"], 1);
    for r in &reports {
        let problems = common::schemas::policyreport_problems(r);
        assert!(problems.is_empty(), "{problems:#?}\n{r:#}");
    }

    let warn = scanner::scan(
        &[policy],
        inputs(),
        &ScanOptions {
            input_errors: scanner::report::InputErrorMode::Warn,
            ..ScanOptions::default()
        },
    );
    assert_eq!(warn.input_errors.len(), 1, "still reported");
    assert_eq!(warn.exit_code(), 0);
    assert!(
        warn.render_table()
            .contains("reported only: --input-errors warn")
    );
    assert!(
        warn.render_markdown()
            .starts_with("### ⚠️ Manifest scan: passed; 1 input(s) could not be read")
    );
}

/// A namespace the objects use but nothing defines is in the scan's cluster (labelled only
/// kubernetes.io/metadata.name), with one warning naming it; a defined one is not warned of.
#[test]
fn namespaces_used_but_not_defined_are_assumed_with_one_warning() {
    let policy = echo_policy(json!({"accepted": true}));
    let report = scanner::scan(
        std::slice::from_ref(&policy),
        read(&[data("inputs/good.yaml")], KustomizeMode::Never, None),
        &ScanOptions::default(),
    );
    let warnings: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("good.yaml:1: namespace \"monitoring\" is used by 1 object but neither the inputs nor the cluster fixture define it"),
        "{warnings:?}"
    );
    assert_eq!(report.exit_code(), 0);
    // Defined in the fixture: no warning.
    let fixture = ClusterFixture::parse(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: monitoring, labels: {team: obs}}\n",
        "cluster",
    )
    .expect("fixture");
    let report = scanner::scan(
        &[policy],
        read(&[data("inputs/good.yaml")], KustomizeMode::Never, None),
        &ScanOptions {
            cluster: Some(std::sync::Arc::new(fixture)),
            ..ScanOptions::default()
        },
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}
