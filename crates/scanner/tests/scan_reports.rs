//! `host-test scan` for CI: profiles (modules, modes, settings), severities and `--fail-on`,
//! the scanned objects as the cluster of context-aware policies, CustomResourceDefinitions
//! and unknown kinds, and the SARIF, JUnit, Markdown and JSON reports (SARIF and JUnit
//! checked against their schemas).

mod common;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use common::schemas::{assert_valid_junit, assert_valid_sarif, junit_structure_problems};
use common::{harness, scratch, wasm, write};
use host_test::ClusterFixture;
use host_test::PolicyMode;
use host_test::metadata::Metadata;
use scanner::profile::Profile;
use scanner::{self as scan, Outcome, ScanError, ScanOptions, Severity, parse_manifests};
use serde_json::{Value, json};

/// Routes pods; critical.
const CRITICAL_PODS: &str = r#"
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods"]
    operations: ["CREATE"]
mutating: false
annotations:
  io.kubewarden.policy.title: critical-pods
  io.kubewarden.policy.description: Rejects what its settings say
  io.kubewarden.policy.url: https://example.com/critical-pods
  io.aks-baseline-policies/controls: ASB 7.3, PCI 7.2.1
  io.aks-baseline-policies/severity: critical
"#;

/// Routes pods and services; low.
const LOW_ANY: &str = r#"
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods", "services"]
    operations: ["CREATE"]
mutating: false
annotations:
  io.aks-baseline-policies/controls: ASB 4.2
  io.aks-baseline-policies/severity: low
"#;

/// Routes pods; no severity annotation (high); never reached by services.
const PLAIN: &str = r#"
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods"]
    operations: ["CREATE"]
mutating: false
annotations:
  io.aks-baseline-policies/controls: ASB 6.8
"#;

/// The context guest: routes serviceaccounts, may read ServiceAccounts.
const CONTEXT: &str = r#"
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["serviceaccounts"]
    operations: ["CREATE"]
mutating: false
contextAwareResources:
  - {apiVersion: v1, kind: ServiceAccount}
annotations:
  io.aks-baseline-policies/controls: PCI 8.1.1
"#;

/// Routes the custom `widgetz` resource of `example.com` (the plural a CRD declares).
const WIDGETS: &str = r#"
rules:
  - apiGroups: ["example.com"]
    apiVersions: ["v1"]
    resources: ["widgetz"]
    operations: ["CREATE"]
mutating: false
"#;

const PODS_AND_SERVICE: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
";

fn annotated(guest: &str, name: &str, metadata: &str) -> Vec<u8> {
    host_test::annotate(
        &harness(),
        name,
        &wasm(guest),
        Metadata::from_yaml(metadata).expect("metadata"),
        Some("# title\n\nThe first paragraph\nof the README.\n\n## Settings\n"),
    )
    .expect("annotates")
}

/// dist/ with critical-pods, low-any and plain (echo guests: the settings are the verdict).
fn dist() -> PathBuf {
    let root = scratch("reports");
    for (name, metadata) in [
        ("critical-pods", CRITICAL_PODS),
        ("low-any", LOW_ANY),
        ("plain", PLAIN),
    ] {
        write(
            &root.join(format!("dist/{name}.wasm")),
            annotated("echo", name, metadata),
        );
    }
    root
}

const REJECT: &str = "{accepted: false, message: 'Pod shop/web: container \"web\" (spec.containers[0]) sets securityContext.privileged=true [ASB 7.3, PCI 7.2.1]', code: 400}";

fn profile_text(low_mode: &str) -> String {
    format!(
        "name: ci\ndescription: A test profile.\npolicies:\n  - id: critical-pods\n    mode: protect\n    settings: {REJECT}\n  - id: low-any\n    mode: {low_mode}\n    settings: {{accepted: false, message: not here}}\n  - id: plain\n    settings: {{accepted: true}}\n"
    )
}

#[test]
fn profiles_select_modules_with_their_modes_and_settings() {
    let root = dist();
    let h = harness();
    let profile = Profile::parse(&profile_text("monitor"), Some("ci")).expect("valid");
    let policies = scan::load_profile(&h, &root.join("dist"), &profile).expect("loads");
    let summary: Vec<(&str, Severity, PolicyMode)> = policies
        .iter()
        .map(|p| (p.id.as_str(), p.severity, p.mode))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("critical-pods", Severity::Critical, PolicyMode::Protect),
            ("low-any", Severity::Low, PolicyMode::Monitor),
            ("plain", Severity::High, PolicyMode::Protect),
        ]
    );
    let manifests = || parse_manifests(PODS_AND_SERVICE, "app.yaml", false);
    let report = scan::scan(&policies, manifests(), &ScanOptions::default());
    let runs: Vec<(&str, &str, Outcome)> = report
        .findings
        .iter()
        .map(|f| (f.kind.as_str(), f.policy.as_str(), f.outcome))
        .collect();
    assert_eq!(
        runs,
        vec![
            ("Pod", "critical-pods", Outcome::Rejected),
            ("Pod", "low-any", Outcome::Rejected),
            ("Pod", "plain", Outcome::Allowed),
            ("Service", "low-any", Outcome::Rejected),
        ]
    );
    // The monitor-mode violations are reported as they would be enforced, but do not fail.
    assert_eq!(report.findings[1].message.as_deref(), Some("not here"));
    assert_eq!((report.rejected(), report.failing()), (3, 1));
    assert_eq!(report.exit_code(), 1);
    assert_eq!(
        report.findings[0].paths,
        vec!["spec.containers[0].securityContext.privileged"]
    );

    // --fail-on: only violations at or above the threshold fail.
    let at = |fail_on: Option<Severity>, text: &str| {
        let profile = Profile::parse(text, None).expect("valid");
        let policies = scan::load_profile(&h, &root.join("dist"), &profile).expect("loads");
        scan::scan(
            &policies,
            manifests(),
            &ScanOptions {
                fail_on,
                ..ScanOptions::default()
            },
        )
        .exit_code()
    };
    let protect_all = profile_text("protect");
    assert_eq!(at(Some(Severity::Low), &protect_all), 1);
    assert_eq!(at(Some(Severity::Critical), &protect_all), 1);
    let no_critical = protect_all.replace(REJECT, "{accepted: true}");
    assert_eq!(at(Some(Severity::Low), &no_critical), 1);
    assert_eq!(at(Some(Severity::Medium), &no_critical), 0);
    assert_eq!(at(None, &protect_all), 0);
}

#[test]
fn profile_errors_name_the_problem() {
    let root = dist();
    let h = harness();
    let parse = |text: &str| Profile::parse(text, Some("ci")).expect_err("invalid");
    let base = profile_text("protect");
    assert!(parse(&base.replace("name: ci", "name: other")).contains("name is 'other'"));
    assert!(
        parse(&base.replace(
            "    mode: protect\n",
            "    mode: protect\n    colour: red\n"
        ))
        .contains("policies[0]: unknown field `colour`")
    );
    assert!(
        parse(
            &base
                .replace("mode: monitor", "mode: audit")
                .replace("mode: protect", "mode: audit")
        )
        .contains("policies[0].mode: unknown policy mode 'audit'")
    );
    assert!(
        parse(&base.replace("id: plain", "id: low-any"))
            .contains("policies[2].id 'low-any' is listed twice")
    );
    assert!(parse(&base.replace("id: plain", "id: Plain")).contains("is not a policy id"));
    assert!(parse("name: ci\ndescription: x\npolicies: []\n").contains("policies is empty"));

    let load = |text: &str| {
        let profile = Profile::parse(text, None).expect("valid");
        scan::load_profile(&h, &root.join("dist"), &profile)
            .expect_err("refused")
            .to_string()
    };
    assert!(
        load(&base.replace("id: plain", "id: missing"))
            .contains("profile 'ci', policy 'missing': no module"),
    );
    assert_eq!(
        load(&base.replace("settings: {accepted: true}", "settings: {frobnicate: 1}")),
        "Provided settings for policy 'plain' are not valid: unknown settings key frobnicate"
    );
    assert!(
        load(&base.replace("  - id: plain\n", "  - id: plain\n    mutating: true\n"))
            .contains("sets mutating: true, but the module's metadata says it does not mutate")
    );

    // An invalid severity annotation refuses the module.
    write(
        &root.join("dist/plain.wasm"),
        annotated(
            "echo",
            "plain",
            &PLAIN.replace(
                "ASB 6.8",
                "ASB 6.8\n  io.aks-baseline-policies/severity: urgent",
            ),
        ),
    );
    let error =
        scan::load_policies(&h, &[root.join("dist/plain.wasm")], None).expect_err("refused");
    assert!(
        matches!(error, ScanError::InvalidSeverity { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("'urgent'"), "{error}");
}

/// The context guest's verdict on each object: the names of the ServiceAccounts it listed.
fn listed(report: &scanner::ScanReport) -> Vec<(String, Vec<String>)> {
    report
        .findings
        .iter()
        .map(|f| {
            assert_eq!(f.outcome, Outcome::Rejected, "{f:?}");
            let list: Value = serde_json::from_str(f.message.as_deref().expect("message"))
                .expect("the host's answer");
            assert_eq!(list["kind"], json!("ServiceAccountList"));
            let names = list["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| {
                    format!(
                        "{}/{}{}",
                        i["metadata"]["namespace"].as_str().unwrap_or("-"),
                        i["metadata"]["name"].as_str().unwrap_or("-"),
                        i["metadata"]["labels"]["from"]
                            .as_str()
                            .map(|l| format!(" ({l})"))
                            .unwrap_or_default()
                    )
                })
                .collect();
            (f.name.clone().unwrap_or_default(), names)
        })
        .collect()
}

#[test]
fn scanned_objects_are_the_cluster_context_aware_policies_read() {
    let h = harness();
    let module = h
        .load_module_bytes("context", &annotated("context", "context", CONTEXT))
        .expect("loads");
    let settings = json!({"api_version": "v1", "kind": "ServiceAccount"});
    let policies = vec![scan::ScanPolicy::new(
        "context",
        module.clone(),
        settings.clone(),
    )];
    let manifests = || {
        parse_manifests(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\n\
             apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: b, namespace: team, labels: {from: scan}}\n",
            "sa.yaml",
            false,
        )
    };
    let fixture = ClusterFixture::parse(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: c, namespace: ops}\n---\n\
         apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: b, namespace: team, labels: {from: fixture}}\n",
        "cluster",
    )
    .expect("fixture");
    let with = |cluster: Option<ClusterFixture>, as_context: bool| {
        scan::scan(
            &policies,
            manifests(),
            &ScanOptions {
                cluster: cluster.map(Arc::new),
                manifests_as_context: as_context,
                ..ScanOptions::default()
            },
        )
    };
    // Each object sees the others (the defaulted namespace included), never itself: it is
    // being created.
    assert_eq!(
        listed(&with(None, true)),
        vec![
            ("a".to_owned(), vec!["team/b (scan)".to_owned()]),
            ("b".to_owned(), vec!["default/a".to_owned()]),
        ]
    );
    // With a fixture: its objects too, but a scanned object replaces the fixture's object
    // of the same identity.
    assert_eq!(
        listed(&with(Some(fixture.clone()), true)),
        vec![
            (
                "a".to_owned(),
                vec!["ops/c".to_owned(), "team/b (scan)".to_owned()]
            ),
            (
                "b".to_owned(),
                vec!["default/a".to_owned(), "ops/c".to_owned()]
            ),
        ]
    );
    // Without the scanned objects: the fixture only.
    assert_eq!(
        listed(&with(Some(fixture), false)),
        vec![
            (
                "a".to_owned(),
                vec!["ops/c".to_owned(), "team/b (fixture)".to_owned()]
            ),
            (
                "b".to_owned(),
                vec!["ops/c".to_owned(), "team/b (fixture)".to_owned()]
            ),
        ]
    );
    // The module's contextAwareResources allow-list still applies.
    let other = json!({"api_version": "v1", "kind": "Secret"});
    let policies = vec![scan::ScanPolicy::new("context", module, other)];
    let report = scan::scan(&policies, manifests(), &ScanOptions::default());
    assert_eq!(report.findings[0].outcome, Outcome::Error);
    assert!(
        report.findings[0]
            .message
            .as_deref()
            .unwrap_or("")
            .contains("Policy has not been granted access to Kubernetes v1/Secret resources"),
        "{:?}",
        report.findings[0]
    );
}

#[test]
fn custom_resources_route_by_their_definition_and_unknown_kinds_are_input_errors() {
    let h = harness();
    let module = h
        .load_module_bytes("widgets", &annotated("echo", "widgets", WIDGETS))
        .expect("loads");
    let policies = vec![scan::ScanPolicy::new(
        "widgets",
        module,
        json!({"accepted": false, "message": "no widgets"}),
    )];
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\
               metadata: {name: widgetz.example.com}\n\
               spec: {group: example.com, scope: Cluster, names: {kind: Widget, plural: widgetz}}\n";
    let widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n";
    let gadget = "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n";

    // The CRD among the inputs: routed by its plural, cluster-scoped (no namespace).
    let text = format!("{crd}---\n{widget}---\n{gadget}");
    let strict = ScanOptions {
        allow_unknown_kinds: false,
        ..ScanOptions::default()
    };
    let report = scan::scan(
        &policies,
        parse_manifests(&text, "crd.yaml", false),
        &strict,
    );
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    assert_eq!(report.findings[0].name.as_deref(), Some("w"));
    assert_eq!(report.findings[0].namespace, None);
    // The Gadget: no definition, with --strict-kinds an input error with its file and line.
    assert_eq!(report.input_errors.len(), 1);
    assert_eq!(
        report.input_errors[0].to_string(),
        "crd.yaml:10: unknown kind example.com/v1 Gadget: not a built-in Kubernetes kind, and no CustomResourceDefinition among the inputs or in the cluster fixture declares it"
    );
    // An input error fails the scan (exit 1: exit 2 is for usage errors only).
    assert_eq!(report.exit_code(), 1);

    // The CRD in the cluster fixture works the same; allowed unknown kinds are warnings.
    let cluster = ClusterFixture::parse(crd, "cluster").expect("fixture");
    let report = scan::scan(
        &policies,
        parse_manifests(&format!("{widget}---\n{gadget}"), "w.yaml", false),
        &ScanOptions {
            cluster: Some(Arc::new(cluster)),
            allow_unknown_kinds: true,
            ..ScanOptions::default()
        },
    );
    assert_eq!(report.findings.len(), 1);
    assert!(report.input_errors.is_empty());
    assert_eq!(report.warnings.len(), 1);
    assert_eq!(report.exit_code(), 1);

    // A built-in kind in the wrong group is unknown too; objects defined twice are warned of.
    let report = scan::scan(
        &policies,
        parse_manifests(
            "apiVersion: v1\nkind: Deployment\nmetadata: {name: d}\n---\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n",
            "x.yaml",
            false,
        ),
        &strict,
    );
    assert_eq!(report.input_errors.len(), 1);
    assert!(
        report.input_errors[0]
            .message
            .starts_with("unknown kind v1 Deployment")
    );
    assert_eq!(
        report.warnings[0].to_string(),
        "x.yaml:9: ConfigMap default/c is also defined at x.yaml:5 (creating it again would fail)"
    );
}

/// The report of the profile with `low-any` in monitor mode, over pods, a service, an
/// unknown kind and stdin-named objects.
fn sample_report() -> scanner::ScanReport {
    let root = dist();
    let h = harness();
    let profile = Profile::parse(&profile_text("monitor"), None).expect("valid");
    let policies = scan::load_profile(&h, &root.join("dist"), &profile).expect("loads");
    let mut manifests = parse_manifests(
        &format!(
            "# Source: chart/templates/all.yaml\n{PODS_AND_SERVICE}---\napiVersion: v9\nkind: Mystery\nmetadata: {{name: m}}\n"
        ),
        "deploy/app & more.yaml",
        false,
    );
    manifests.extend(parse_manifests(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: piped}\n",
        scanner::STDIN_NAME,
        false,
    ));
    // With --strict-kinds: the unknown kind is an input error the reports must carry.
    scan::scan(
        &policies,
        manifests,
        &ScanOptions {
            allow_unknown_kinds: false,
            ..ScanOptions::default()
        },
    )
}

#[test]
fn sarif_is_valid_and_locates_every_violation() {
    let report = sample_report();
    let root = std::env::current_dir().expect("cwd");
    let text = report.render_sarif(&root);
    assert_valid_sarif(&text);
    let sarif: Value = serde_json::from_str(&text).expect("json");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules
        .iter()
        .map(|r| r["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ids, vec!["critical-pods", "low-any", "plain"]);
    let critical = &rules[0];
    assert_eq!(
        critical["properties"]["tags"],
        json!(["ASB 7.3", "PCI 7.2.1", "security", "kubernetes"])
    );
    assert_eq!(critical["properties"]["security-severity"], json!("9.5"));
    assert_eq!(
        critical["help"]["text"],
        json!("The first paragraph of the README.")
    );
    assert_eq!(
        critical["shortDescription"]["text"],
        json!("Rejects what its settings say")
    );
    assert_eq!(
        critical["helpUri"],
        json!("https://example.com/critical-pods")
    );
    assert_eq!(critical["defaultConfiguration"]["level"], json!("error"));
    assert_eq!(rules[1]["defaultConfiguration"]["level"], json!("note"));

    let results = run["results"].as_array().expect("results");
    // critical-pods and low-any reject the Pod, low-any the Service, and both the piped Pod.
    assert_eq!(results.len(), 5, "{text}");
    let first = &results[0];
    assert_eq!(first["ruleId"], json!("critical-pods"));
    assert_eq!(first["ruleIndex"], json!(0));
    assert_eq!(first["level"], json!("error"));
    let physical = &first["locations"][0]["physicalLocation"];
    assert_eq!(
        physical["artifactLocation"]["uri"],
        json!("deploy/app%20&%20more.yaml")
    );
    assert_eq!(
        physical["artifactLocation"]["uriBaseId"],
        json!("%SRCROOT%")
    );
    assert_eq!(physical["region"]["startLine"], json!(2));
    assert_eq!(
        first["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        json!("v1/Pod/shop/web")
    );
    assert_eq!(
        first["properties"]["fieldPaths"],
        json!(["spec.containers[0].securityContext.privileged"])
    );
    assert_eq!(
        first["properties"]["helmSource"],
        json!("chart/templates/all.yaml")
    );
    // Monitor mode: a note that does not fail.
    assert_eq!(results[1]["level"], json!("note"));
    assert_eq!(results[1]["properties"]["failing"], json!(false));
    // stdin has no file to point at.
    let piped = results.last().expect("piped");
    assert!(
        piped["locations"][0].get("physicalLocation").is_none(),
        "{piped}"
    );
    // The unknown kind is an error notification with its location; the run is not clean.
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], json!(false));
    assert_eq!(invocation["exitCode"], json!(1));
    let notification = &invocation["toolExecutionNotifications"][0];
    assert_eq!(notification["level"], json!("error"));
    assert_eq!(
        notification["locations"][0]["physicalLocation"]["region"]["startLine"],
        json!(11)
    );
    // A file outside the root is an absolute file URI.
    let outside = report.render_sarif(&root.join("elsewhere"));
    assert_valid_sarif(&outside);
    assert!(outside.contains("\"uri\": \"file:///"), "{outside}");

    // The validator does reject what the schema forbids.
    let mut broken: Value = serde_json::from_str(&text).expect("json");
    broken["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!common::schemas::sarif_problems(&broken.to_string()).is_empty());
}

#[test]
fn junit_is_valid_with_failures_skips_and_input_errors() {
    let report = sample_report();
    let xml = report.render_junit();
    assert_valid_junit(&xml);
    let root = common::schemas::parse_xml(&xml).expect("well-formed");
    let totals: Vec<&str> = ["tests", "failures", "errors"]
        .iter()
        .map(|k| root.attributes[*k].as_str())
        .collect();
    // 7 evaluations + 1 input error; the piped Pod and the Pod fail critical-pods; the
    // input error is an error; monitor-mode violations are skipped.
    assert_eq!(totals, vec!["8", "2", "1"]);
    let suites: Vec<&str> = root
        .children
        .iter()
        .map(|s| s.attributes["name"].as_str())
        .collect();
    assert_eq!(suites, vec!["critical-pods", "low-any", "plain", "inputs"]);
    let failure = &root.children[0].children[1].children[0];
    assert_eq!(failure.name, "failure");
    assert_eq!(failure.attributes["type"], "critical");
    assert!(
        failure
            .text
            .contains("location: deploy/app & more.yaml:2 (# Source: chart/templates/all.yaml)")
    );
    assert!(
        failure
            .text
            .contains("field paths: spec.containers[0].securityContext.privileged")
    );
    let skipped = &root.children[1].children[1].children[0];
    assert_eq!(skipped.name, "skipped");
    assert!(skipped.attributes["message"].starts_with("not enforced (monitor mode): not here"));

    // The structural check does catch what the schema forbids.
    let broken = xml.replacen("<testcase ", "<testcase line=\"3\" ", 1);
    assert!(!junit_structure_problems(&broken).is_empty());
    let miscounted = xml.replacen("failures=\"2\"", "failures=\"3\"", 1);
    assert!(!junit_structure_problems(&miscounted).is_empty());
    if let Some(problems) = common::schemas::xmllint_problems(&broken) {
        assert!(
            !problems.is_empty(),
            "xmllint accepted an attribute the schema forbids"
        );
    }
}

#[test]
fn markdown_summarises_controls_and_json_carries_everything() {
    let report = sample_report();
    let md = report.render_markdown();
    assert!(
        md.starts_with(
            "### ❌ Manifest scan: 2 violation(s) fail the check; 1 input(s) could not be read (they fail the check)\n"
        ),
        "{md}"
    );
    for row in [
        "| ASB 4.2 | ⚠️ violations not enforced | `low-any` | 3 | 3 |",
        "| ASB 6.8 | ✅ passed | `plain` | 2 | 0 |",
        "| ASB 7.3 | ❌ failed | `critical-pods` | 2 | 2 |",
        "| PCI 7.2.1 | ❌ failed | `critical-pods` | 2 | 2 |",
        "**Controls:** 3 failed · 1 passed · 0 not applicable",
        "| ❌ | critical | `Pod shop/web` | `deploy/app & more.yaml:2`<br>`# Source: chart/templates/all.yaml` | `critical-pods` | `spec.containers[0].securityContext.privileged` | container \"web\" (spec.containers[0]) sets securityContext.privileged=true |",
        "| ⚠️ | low (monitor mode) | `Service shop/web` |",
        "#### Input errors",
    ] {
        assert!(md.contains(row), "missing {row:?} in\n{md}");
    }
    // A control no object reached is not applicable.
    let only_services = scan::ScanReport {
        findings: report
            .findings
            .iter()
            .filter(|f| f.kind == "Service")
            .cloned()
            .collect(),
        input_errors: Vec::new(),
        ..report.clone()
    };
    let md = only_services.render_markdown();
    assert!(
        md.contains("| ASB 7.3 | ➖ not applicable | `critical-pods` | 0 | 0 |"),
        "{md}"
    );
    assert!(
        md.starts_with("### ⚠️ Manifest scan: passed, with 1 violation(s) not enforced"),
        "{md}"
    );

    let json: Value = serde_json::from_str(&report.render_json()).expect("json");
    assert_eq!(
        json["summary"],
        json!({"objects": 4, "evaluations": 7, "rejected": 5, "errors": 1, "failing": 2, "failOn": "low", "inputErrors": "fail", "exitCode": 1})
    );
    assert_eq!(json["inputErrors"][0]["line"], json!(11));
    assert_eq!(
        json["findings"][0]["source"],
        json!("chart/templates/all.yaml")
    );
    assert_eq!(json["findings"][0]["severity"], json!("critical"));
}

fn host_test(args: &[&str], stdin: &str) -> (i32, String, String) {
    // `aks-scan ARGS…` is what `host-test scan ARGS…` runs.
    let args = args.strip_prefix(&["scan"][..]).unwrap_or(args);
    let mut child = Command::new(env!("CARGO_BIN_EXE_aks-scan"))
        .args(args)
        .env("HOST_TEST_CACHE", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("host-test runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("writes stdin");
    let output = child.wait_with_output().expect("host-test ends");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn cli_profile_formats_output_files_and_fail_on() {
    let root = dist();
    let profile = root.join("ci.yaml");
    write(&profile, profile_text("protect"));
    write(&root.join("app.yaml"), PODS_AND_SERVICE);
    let (dist, profile, app) = (
        root.join("dist").display().to_string(),
        profile.display().to_string(),
        root.join("app.yaml").display().to_string(),
    );
    let base = ["scan", "--dist", &dist, "--profile", &profile];

    for (format, check) in [
        ("sarif", assert_valid_sarif as fn(&str)),
        ("junit", assert_valid_junit as fn(&str)),
    ] {
        let out = root.join(format!("report.{format}"));
        let out_s = out.display().to_string();
        let (code, stdout, stderr) = host_test(
            &[
                &base[..],
                &[
                    "--format",
                    format,
                    "-o",
                    &out_s,
                    "--root",
                    &root.display().to_string(),
                    &app,
                ],
            ]
            .concat(),
            "",
        );
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(stdout, "", "the report goes to the file");
        // Piped stderr: the warning for the undefined namespace, the summary, and never a
        // progress bar.
        assert_eq!(
            stderr,
            format!(
                "warning: {app}:1: namespace \"shop\" is used by 2 objects but neither the \
                 inputs nor the cluster fixture define it: a cluster needs it created first; the \
                 scan assumes it with no labels but kubernetes.io/metadata.name (add the \
                 Namespace to the inputs or to --cluster to scan with its labels)\n\
                 2 objects, 4 evaluations, 3 rejected, 0 errors\n"
            )
        );
        let text = std::fs::read_to_string(&out).expect("report written");
        check(&text);
        if format == "sarif" {
            assert!(text.contains("\"uri\": \"app.yaml\""), "{text}");
        }
    }
    let (code, stdout, _) = host_test(&[&base[..], &["--format", "markdown", &app]].concat(), "");
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("### ❌ Manifest scan: 3 violation(s) fail the check"),
        "{stdout}"
    );

    // --fail-on: the critical violation fails at every threshold; without it, low and
    // high ones fail only at or below their severity.
    for (threshold, expected) in [("critical", 1), ("high", 1), ("low", 1)] {
        let (code, _, _) = host_test(&[&base[..], &["--fail-on", threshold, &app]].concat(), "");
        assert_eq!(code, expected, "--fail-on {threshold}");
    }
    write(
        &root.join("ci.yaml"),
        profile_text("protect").replace(REJECT, "{accepted: true}"),
    );
    for (threshold, expected) in [("critical", 0), ("high", 0), ("medium", 0), ("low", 1)] {
        let (code, stdout, _) =
            host_test(&[&base[..], &["--fail-on", threshold, &app]].concat(), "");
        assert_eq!(code, expected, "--fail-on {threshold}: {stdout}");
    }
    let (code, _, stderr) = host_test(&[&base[..], &["--fail-on", "severe", &app]].concat(), "");
    assert_eq!(code, 2, "{stderr}");
    // --profile and --settings-dir do not go together.
    let (code, _, _) = host_test(&[&base[..], &["--settings-dir", &dist, &app]].concat(), "");
    assert_eq!(code, 2);
    // A profile that does not parse: exit 2 naming it.
    write(&root.join("ci.yaml"), "name: ci\n");
    let (code, _, stderr) = host_test(&[&base[..], &[app.as_str()]].concat(), "");
    assert_eq!(code, 2);
    assert!(stderr.contains("is not a valid profile"), "{stderr}");
    // Unknown kinds from stdin: a warning with file and line (scanned), or with
    // --strict-kinds an input error (exit 1 with the default --input-errors fail; exit 2 is
    // for usage errors only).
    let mystery = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\n---\napiVersion: acme.io/v1\nkind: Mystery\nmetadata: {name: m}\n";
    write(&root.join("ci.yaml"), profile_text("protect"));
    let (code, _, stderr) = host_test(&[&base[..], &["--strict-kinds", "-"]].concat(), mystery);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("error: <stdin>:5: unknown kind acme.io/v1 Mystery"),
        "{stderr}"
    );
    let (code, _, stderr) = host_test(&[&base[..], &["-"]].concat(), mystery);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("warning: <stdin>:5: unknown kind"),
        "{stderr}"
    );
}
