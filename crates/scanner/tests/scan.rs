//! `host-test scan`: reading manifests (multi-document YAML as `helm template` writes it,
//! JSON, `List`s, line numbers, invalid input), turning objects into admission requests,
//! routing them to the modules whose rules match, and the command's output and exit codes.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use admission::kinds::resource_for_kind;
use common::{harness, scratch, wasm, write};
use host_test::ClusterFixture;
use host_test::metadata::Metadata;
use scanner::{
    self as scan, Outcome, RequestDefaults, ScanOptions, ScanPolicy, admission_request,
    parse_manifests, read_manifests,
};
use serde_json::{Value, json};

/// Routes pods only; carries a controls annotation.
const PODS_ONLY: &str = r#"
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods"]
    operations: ["CREATE", "UPDATE"]
mutating: false
annotations:
  io.aks-baseline-policies/controls: ASB 7.3, PCI 7.1.2
"#;

/// Routes apps/v1 deployments only; no controls annotation.
const APPS_ONLY: &str = r#"
rules:
  - apiGroups: ["apps"]
    apiVersions: ["v1"]
    resources: ["deployments"]
    operations: ["CREATE"]
mutating: false
"#;

/// A `helm template`-style stream: `---` first, `# Source:` comments, an empty document, a
/// block scalar holding an indented `---`, a List, a cluster-scoped object.
const HELM: &str = "---
# Source: chart/templates/pod.yaml
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers: [{name: web, image: nginx}]
---
# Source: chart/templates/empty.yaml
---
# Source: chart/templates/list.yaml
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api, namespace: shop}
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: script}
    data:
      run.sh: |
        echo start
        ---
        echo end
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
";

const POD_JSON: &str = r#"
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j", "namespace": "json-ns"},
 "spec": {"containers": [{"name": "j", "image": "busybox"}]}}
"#;

/// Line 7 breaks the YAML (a mapping value where none may be: column 11); the documents
/// before and after it are fine.
const BROKEN: &str = "apiVersion: v1
kind: Pod
metadata: {name: before-the-break}
---
apiVersion: v1
kind: Pod
  metadata: {name: broken}
---
apiVersion: v1
kind: Pod
metadata: {name: after-the-break}
";

fn annotated(name: &str, metadata: &str) -> Vec<u8> {
    host_test::annotate(
        &harness(),
        name,
        &wasm(name),
        Metadata::from_yaml(metadata).expect("metadata"),
        None,
    )
    .expect("annotates")
}

/// A scratch project: dist/{pods-only,apps-only}.wasm (the echo guest, so the settings are
/// the verdict), settings/ (pods-only rejects, apps-only accepts) and manifests/.
struct Project {
    root: PathBuf,
}

impl Project {
    fn new() -> Self {
        let root = scratch("scan");
        write(
            &root.join("dist/pods-only.wasm"),
            annotated("echo", PODS_ONLY),
        );
        write(
            &root.join("dist/apps-only.wasm"),
            annotated("echo", APPS_ONLY),
        );
        write(
            &root.join("settings/pods-only.yaml"),
            "accepted: false\nmessage: pod rejected [ASB 7.3, PCI 7.1.2]\ncode: 400\n",
        );
        write(
            &root.join("settings/apps-only.json"),
            r#"{"accepted": true}"#,
        );
        write(&root.join("manifests/app.yaml"), HELM);
        write(&root.join("manifests/sub/pod.json"), POD_JSON);
        write(&root.join("manifests/notes.txt"), "not: [a manifest");
        write(
            &root.join("manifests/.hidden/broken.yaml"),
            "not: [a manifest",
        );
        Project { root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn s(&self, rel: &str) -> String {
        self.path(rel).to_str().expect("utf-8 path").to_owned()
    }
}

#[test]
fn helm_streams_lists_and_json_are_read_with_their_lines() {
    let project = Project::new();
    let manifests = read_manifests(&[project.path("manifests")]);
    assert!(manifests.errors.is_empty(), "{:?}", manifests.errors);
    let seen: Vec<(String, usize, &str, Option<&str>)> = manifests
        .objects
        .iter()
        .map(|m| {
            let file = Path::new(&m.file)
                .strip_prefix(project.path("manifests"))
                .expect("under manifests/")
                .to_string_lossy()
                .into_owned();
            (file, m.line, m.kind(), m.name())
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("app.yaml".to_owned(), 3, "Pod", Some("web")),
            ("app.yaml".to_owned(), 13, "Deployment", Some("api")),
            ("app.yaml".to_owned(), 13, "ConfigMap", Some("script")),
            ("app.yaml".to_owned(), 28, "Namespace", Some("shop")),
            ("sub/pod.json".to_owned(), 2, "Pod", Some("j")),
        ]
    );
    // The indented `---` inside the block scalar is content, not a document boundary.
    assert_eq!(
        manifests.objects[2].object["data"]["run.sh"],
        json!("echo start\n---\necho end\n")
    );
}

#[test]
fn markers_empty_documents_and_non_objects() {
    let text = "\
--- {apiVersion: v1, kind: Service, metadata: {name: inline}}
...
# only a comment
---

---
plain scalar
---
kind: Pod
metadata: {name: no-api-version}
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Pod, metadata: {name: ok}}
  - {kind: Pod, metadata: {name: broken-item}}
---
base: &base {apiVersion: v1, kind: ConfigMap}
merged:
  <<: *base
  metadata: {name: merged}
";
    let manifests = parse_manifests(text, "m.yaml", false);
    let objects: Vec<(usize, Option<&str>)> = manifests
        .objects
        .iter()
        .map(|m| (m.line, m.name()))
        .collect();
    assert_eq!(objects, vec![(1, Some("inline")), (12, Some("ok"))]);
    let errors: Vec<String> = manifests.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        vec![
            "m.yaml:9: not a Kubernetes object: no string 'apiVersion'",
            "m.yaml:12: item 2 of the List: not a Kubernetes object: no string 'apiVersion'",
        ]
    );
    // Documents that are not Kubernetes objects at all (not a mapping, or neither apiVersion
    // nor kind: a CI workflow, Helm values, a patch) are skipped, not errors.
    let skipped: Vec<String> = manifests.skipped.iter().map(ToString::to_string).collect();
    assert_eq!(
        skipped,
        vec![
            "m.yaml:7: document is not a mapping",
            "m.yaml:18: no apiVersion and no kind",
        ]
    );

    // Merge keys are applied, as kubectl applies them.
    let merged = parse_manifests(
        "x: &b {apiVersion: v1, kind: ConfigMap}\n<<: *b\nmetadata: {name: m}\n",
        "x.yaml",
        false,
    );
    assert_eq!(merged.objects.len(), 1, "{:?}", merged.errors);
    assert_eq!(merged.objects[0].kind(), "ConfigMap");

    // A stream of JSON values, and invalid JSON with its line.
    let json_text = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}}\n\n  {\"apiVersion\":\"v1\",\"kind\":\"PodList\",\"items\":[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\"}}]}\n{\"apiVersion\": \n  oops}\n";
    let manifests = parse_manifests(json_text, "s.json", true);
    let objects: Vec<(usize, Option<&str>)> = manifests
        .objects
        .iter()
        .map(|m| (m.line, m.name()))
        .collect();
    assert_eq!(objects, vec![(1, Some("a")), (3, Some("b"))]);
    assert_eq!(manifests.errors.len(), 1);
    assert_eq!(manifests.errors[0].line, Some(5));
    assert!(manifests.errors[0].message.starts_with("invalid JSON"));
}

#[test]
fn invalid_yaml_is_reported_with_its_line_and_the_rest_is_read() {
    let manifests = parse_manifests(BROKEN, "broken.yaml", false);
    let names: Vec<Option<&str>> = manifests.objects.iter().map(|m| m.name()).collect();
    assert_eq!(
        names,
        vec![Some("before-the-break"), Some("after-the-break")]
    );
    assert_eq!(manifests.objects[1].line, 9);
    assert_eq!(manifests.errors.len(), 1, "{:?}", manifests.errors);
    let error = &manifests.errors[0];
    assert_eq!((error.file.as_str(), error.line), ("broken.yaml", Some(7)));
    // The parser's own position is the file's, not the document's.
    assert_eq!(
        error.to_string(),
        "broken.yaml:7: invalid YAML: mapping values are not allowed in this context at line 7 column 11"
    );

    let missing = read_manifests(&[PathBuf::from("no/such/manifest.yaml")]);
    assert!(missing.objects.is_empty());
    assert_eq!(missing.errors.len(), 1);
    assert!(
        missing.errors[0]
            .to_string()
            .starts_with("no/such/manifest.yaml: cannot read: "),
        "{}",
        missing.errors[0]
    );
}

#[test]
fn objects_become_create_requests() {
    let defaults = RequestDefaults {
        namespace: "team".to_owned(),
        username: "ci".to_owned(),
        groups: vec!["devs".to_owned(), "system:authenticated".to_owned()],
        ..RequestDefaults::default()
    };
    let cluster = ClusterFixture::empty();
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"}});
    let request = admission_request(&deployment, 7, &defaults, &cluster);
    assert_eq!(
        request,
        json!({
            "uid": "scan-7",
            "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "requestKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "requestResource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "name": "api",
            "namespace": "shop",
            "operation": "CREATE",
            "userInfo": {"username": "ci", "groups": ["devs", "system:authenticated"]},
            "object": deployment,
            "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}
        })
    );
    // It is a request policy-server accepts as is.
    assert_eq!(
        host_test::normalize_request(request.clone(), "scan").expect("valid"),
        request
    );

    // A namespaced object without a namespace gets the default one, in the object too.
    let service = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}});
    let request = admission_request(&service, 1, &defaults, &cluster);
    assert_eq!(request["namespace"], json!("team"));
    assert_eq!(request["object"]["metadata"]["namespace"], json!("team"));
    assert_eq!(
        request["resource"],
        json!({"group": "", "version": "v1", "resource": "services"})
    );

    // Cluster-scoped kinds have no namespace.
    for (api_version, kind) in [
        ("v1", "Namespace"),
        ("v1", "Node"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("v1", "PersistentVolume"),
        ("storage.k8s.io/v1", "StorageClass"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        (
            "admissionregistration.k8s.io/v1",
            "ValidatingWebhookConfiguration",
        ),
        ("example.io/v1", "SomethingWebhookConfiguration"),
        ("scheduling.k8s.io/v1", "PriorityClass"),
        ("node.k8s.io/v1", "RuntimeClass"),
        ("networking.k8s.io/v1", "IngressClass"),
    ] {
        let object = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}});
        let request = admission_request(&object, 1, &defaults, &cluster);
        assert!(request.get("namespace").is_none(), "{kind}: {request}");
        assert!(request["object"]["metadata"].get("namespace").is_none());
    }
    // An object without a name has no request name.
    let unnamed = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "x-"}});
    assert!(
        admission_request(&unnamed, 1, &defaults, &cluster)
            .get("name")
            .is_none()
    );

    for (kind, resource) in [
        ("Pod", "pods"),
        ("Endpoints", "endpoints"),
        ("Ingress", "ingresses"),
        ("NetworkPolicy", "networkpolicies"),
        ("PodDisruptionBudget", "poddisruptionbudgets"),
        ("CronJob", "cronjobs"),
        ("RoleBinding", "rolebindings"),
        ("Gateway", "gateways"),
        ("HTTPRoute", "httproutes"),
        ("ClusterPolicy", "clusterpolicies"),
        ("Proxy", "proxies"),
        ("Key", "keys"),
        ("Mesh", "meshes"),
        ("Box", "boxes"),
    ] {
        assert_eq!(resource_for_kind(kind), resource, "{kind}");
    }
}

#[test]
fn every_object_goes_only_to_the_modules_that_route_it() {
    let project = Project::new();
    let h = harness();
    let modules = scan::dist_modules(&project.path("dist")).expect("modules");
    let policies = scan::load_policies(&h, &modules, Some(&project.path("settings"))).expect("ok");
    let ids: Vec<&str> = policies.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, vec!["apps-only", "pods-only"]);
    assert_eq!(policies[1].controls.as_deref(), Some("ASB 7.3, PCI 7.1.2"));
    assert_eq!(policies[0].controls, None);

    let manifests = read_manifests(&[project.path("manifests")]);
    let report = scan::scan(&policies, manifests, &ScanOptions::default());
    let runs: Vec<(&str, Option<&str>, &str, Outcome)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.kind.as_str(),
                f.name.as_deref(),
                f.policy.as_str(),
                f.outcome,
            )
        })
        .collect();
    // The Deployment is not sent to pods-only, the Pods not to apps-only, and the
    // ConfigMap and Namespace to neither.
    assert_eq!(
        runs,
        vec![
            ("Pod", Some("web"), "pods-only", Outcome::Rejected),
            ("Deployment", Some("api"), "apps-only", Outcome::Allowed),
            ("Pod", Some("j"), "pods-only", Outcome::Rejected),
        ]
    );
    assert_eq!(
        (
            report.objects,
            report.evaluations(),
            report.rejected(),
            report.errors()
        ),
        (5, 3, 2, 0)
    );
    assert_eq!(report.findings[0].namespace.as_deref(), Some("default"));
    assert_eq!(report.findings[0].code, Some(400));
    assert_eq!(report.findings[2].namespace.as_deref(), Some("json-ns"));
    assert_eq!(report.exit_code(), 1);
    let no_fail = scan::ScanReport {
        fail_on: None,
        ..report.clone()
    };
    assert_eq!(no_fail.exit_code(), 0);

    // The same on one thread gives the same findings.
    let one = scan::scan(
        &policies,
        read_manifests(&[project.path("manifests")]),
        &ScanOptions {
            threads: 1,
            ..ScanOptions::default()
        },
    );
    assert_eq!(one, report);
}

#[test]
fn invalid_settings_stop_the_scan() {
    let project = Project::new();
    write(
        &project.path("settings/apps-only.json"),
        r#"{"frobnicate": true}"#,
    );
    let modules = scan::dist_modules(&project.path("dist")).expect("modules");
    let error = scan::load_policies(&harness(), &modules, Some(&project.path("settings")))
        .expect_err("invalid settings");
    assert_eq!(
        error.to_string(),
        "Provided settings for policy 'apps-only' are not valid: unknown settings key frobnicate"
    );
}

#[test]
fn a_failing_policy_is_an_error_that_rejects() {
    let h = harness();
    let module = h
        .load_module_bytes("error", &annotated("error", PODS_ONLY))
        .expect("loads");
    let policies = vec![ScanPolicy::new("broken", module, json!({}))];
    let manifests = parse_manifests(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
        "p.yaml",
        false,
    );
    let report = scan::scan(&policies, manifests, &ScanOptions::default());
    assert_eq!(report.findings.len(), 1);
    let finding = &report.findings[0];
    assert_eq!(finding.outcome, Outcome::Error);
    assert!(!finding.allowed);
    assert_eq!(finding.code, Some(500));
    assert_eq!((report.rejected(), report.errors()), (0, 1));
    assert_eq!(report.exit_code(), 1);
    let table = report.render_table_grouped(scanner::report::table::GroupBy::Control);
    assert!(
        table.starts_with(
            "ASB 7.3\n  p.yaml:1  Pod default/p\n    ERROR broken  high  -\n          internal server error: Guest call failure: "
        ),
        "{table}"
    );
    assert!(table.ends_with(
        "\n1 of 1 fail the scan (--fail-on low)\n1 objects, 1 evaluations, 0 rejected, 1 errors\n"
    ));
    let json: Value = serde_json::from_str(&report.render_json()).expect("json");
    assert_eq!(json["findings"][0]["error"], json!(true));
}

fn host_test(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
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
    {
        let mut input = child.stdin.take().expect("stdin");
        input
            .write_all(stdin.unwrap_or("").as_bytes())
            .expect("writes stdin");
    }
    let output = child.wait_with_output().expect("host-test ends");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn cli_table_and_exit_codes() {
    let p = Project::new();
    let (dist, settings, manifests) = (p.s("dist"), p.s("settings"), p.s("manifests"));
    let base = [
        "scan",
        "--dist",
        &dist,
        "--settings-dir",
        &settings,
        "--group-by",
        "control",
    ];

    let (code, stdout, stderr) = host_test(&[&base[..], &[manifests.as_str()]].concat(), None);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let app = p.s("manifests/app.yaml");
    let json = p.s("manifests/sub/pod.json");
    // --group-by control: by control, then object; the message once, under the first control.
    assert_eq!(
        stdout,
        format!(
            "ASB 7.3\n\
             \x20 {app}:3  Pod default/web  (# Source: chart/templates/pod.yaml)\n\
             \x20   FAIL  pods-only  high  -\n\
             \x20         pod rejected\n\
             \x20 {json}:2  Pod json-ns/j\n\
             \x20   FAIL  pods-only  high  -\n\
             \x20         pod rejected\n\
             \n\
             PCI 7.1.2\n\
             \x20 {app}:3  Pod default/web  (# Source: chart/templates/pod.yaml)\n\
             \x20   FAIL  pods-only  high  -\n\
             \x20         (message under ASB 7.3)\n\
             \x20 {json}:2  Pod json-ns/j\n\
             \x20   FAIL  pods-only  high  -\n\
             \x20         (message under ASB 7.3)\n\
             \n\
             2 of 2 fail the scan (--fail-on low)\n\
             5 objects, 3 evaluations, 2 rejected, 0 errors\n"
        )
    );
    // json-ns is used but never defined: assumed, with one warning naming where it is used.
    assert_eq!(
        stderr,
        format!(
            "warning: {json}:2: namespace \"json-ns\" is used by 1 object but neither the inputs \
             nor the cluster fixture define it: a cluster needs it created first; the scan assumes \
             it with no labels but kubernetes.io/metadata.name (add the Namespace to the inputs or \
             to --cluster to scan with its labels)\n"
        )
    );

    // --no-fail reports the same and exits 0; the last of the two flags wins.
    let (code, stdout2, _) = host_test(
        &[&base[..], &["--no-fail", manifests.as_str()]].concat(),
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(
        stdout2,
        stdout
            .replace(
                "FAIL  pods-only  high  -",
                "WARN  pods-only  high  -  (--no-fail)"
            )
            .replace(
                "2 of 2 fail the scan (--fail-on low)",
                "0 of 2 fail the scan (--no-fail)"
            )
    );
    let (code, _, _) = host_test(
        &[&base[..], &["--no-fail", "--fail-on-violation", &manifests]].concat(),
        None,
    );
    assert_eq!(code, 1);

    // Only --module runs, with settings that accept.
    write(&p.path("accepting/pods-only.yaml"), "accepted: true\n");
    let (code, stdout, stderr) = host_test(
        &[
            "scan",
            "--dist",
            &dist,
            "--settings-dir",
            &p.s("accepting"),
            "--module",
            &p.s("dist/pods-only.wasm"),
            "--namespace",
            "team",
            &manifests,
        ],
        None,
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout, "5 objects, 2 evaluations, 0 rejected, 0 errors\n");

    // --namespace names the namespace of objects without one.
    let (code, stdout, _) = host_test(&[&base[..], &["--namespace", "team", &app]].concat(), None);
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with(&format!("ASB 7.3\n  {app}:3  Pod team/web  ")),
        "{stdout}"
    );

    // Invalid settings: exit 2 with the module's message.
    write(&p.path("bad-settings/pods-only.yaml"), "frobnicate: true\n");
    let (code, stdout, stderr) = host_test(
        &[
            "scan",
            "--dist",
            &dist,
            "--settings-dir",
            &p.s("bad-settings"),
            &manifests,
        ],
        None,
    );
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stderr.contains(
            "Provided settings for policy 'pods-only' are not valid: unknown settings key frobnicate"
        ),
        "{stderr}"
    );

    // The default grouping: by file and object, one line per finding with its controls.
    let (code, stdout, _) = host_test(
        &["scan", "--dist", &dist, "--settings-dir", &settings, &app],
        None,
    );
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with(&format!(
            "{app}\n  :3  Pod default/web  (# Source: chart/templates/pod.yaml)\n    FAIL  pods-only  high  [ASB 7.3, PCI 7.1.2]  -\n          pod rejected\n\n"
        )),
        "{stdout}"
    );

    // No modules: exit 2.
    std::fs::create_dir_all(p.path("empty")).expect("mkdir");
    let (code, _, stderr) = host_test(
        &[
            "scan",
            "--dist",
            &p.s("empty"),
            "--settings-dir",
            &settings,
            &manifests,
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("no policy modules"), "{stderr}");
    // Without --profile, --module or --settings-dir: the built-in aks-baseline, said so.
    let (code, _, stderr) = host_test(&["scan", "--dist", &p.s("empty"), &manifests], None);
    assert_eq!(code, 2);
    assert!(
        stderr
            .contains("note: no --profile given: scanning with the built-in profile aks-baseline"),
        "{stderr}"
    );
    assert!(
        stderr.contains("profile 'aks-baseline', policy '"),
        "{stderr}"
    );
}

#[test]
fn cli_input_errors_exit_2_after_reporting_everything_else() {
    let p = Project::new();
    write(&p.path("manifests/z-broken.yaml"), BROKEN);
    let (dist, settings) = (p.s("dist"), p.s("settings"));
    let missing = p.s("missing.yaml");
    let (code, stdout, stderr) = host_test(
        &[
            "scan",
            "--dist",
            &dist,
            "--settings-dir",
            &settings,
            &p.s("manifests"),
        ],
        None,
    );
    // An input error fails the scan (exit 1); exit 2 is for usage errors only.
    assert_eq!(code, 1, "{stdout}{stderr}");
    let broken = p.s("manifests/z-broken.yaml");
    // Both Pods of the broken file are still evaluated (and rejected).
    assert!(
        stdout.contains(&format!(
            "{broken}\n  :1  Pod default/before-the-break\n    FAIL  pods-only  "
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n  :9  Pod default/after-the-break\n    FAIL  pods-only  "),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("7 objects, 5 evaluations, 4 rejected, 1 errors\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Inputs not scanned (they fail the scan"),
        "{stdout}"
    );
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with(&format!("error: {broken}:7: invalid YAML: ")),
        "{stderr}"
    );
    // A path on the command line that does not exist is a usage error: exit 2, no report.
    let (code, stdout, stderr) = host_test(
        &[
            "scan",
            "--dist",
            &dist,
            "--settings-dir",
            &settings,
            &p.s("manifests"),
            &missing,
        ],
        None,
    );
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(
        stderr,
        format!("error: {missing}: no such file or directory\n")
    );
    // --input-errors warn: reported, and the exit code is the findings' (the Pods fail).
    let (code, stdout, _) = host_test(
        &[
            "scan",
            "--dist",
            &dist,
            "--settings-dir",
            &settings,
            "--input-errors",
            "warn",
            &broken,
        ],
        None,
    );
    assert_eq!(code, 1);
    assert!(
        stdout.contains("reported only: --input-errors warn"),
        "{stdout}"
    );

    // --no-fail does not hide input errors.
    let (code, _, _) = host_test(
        &[
            "scan",
            "--dist",
            &dist,
            "--settings-dir",
            &settings,
            "--no-fail",
            &broken,
        ],
        None,
    );
    assert_eq!(code, 1);
    // Both: nothing fails.
    let (code, _, _) = host_test(
        &[
            "scan",
            "--dist",
            &dist,
            "--settings-dir",
            &settings,
            "--no-fail",
            "--input-errors",
            "warn",
            &broken,
        ],
        None,
    );
    assert_eq!(code, 0);
}

#[test]
fn cli_json_from_stdin() {
    let p = Project::new();
    let (dist, settings) = (p.s("dist"), p.s("settings"));
    let (code, stdout, stderr) = host_test(
        &[
            "scan",
            "--dist",
            &dist,
            "--settings-dir",
            &settings,
            "--format",
            "json",
            "-",
        ],
        Some(HELM),
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(
        stderr,
        // shop is defined by the last document: no namespace warning.
        "4 objects, 2 evaluations, 1 rejected, 0 errors\n"
    );
    let report: Value = serde_json::from_str(&stdout).expect("a JSON object");
    assert_eq!(
        report,
        json!({
            "summary": {
                "objects": 4, "evaluations": 2, "rejected": 1, "errors": 0, "failing": 1,
                "failOn": "low", "inputErrors": "fail", "exitCode": 1
            },
            "policies": [
                {"id": "apps-only", "controls": [], "severity": "high", "mode": "protect"},
                {"id": "pods-only", "controls": ["ASB 7.3", "PCI 7.1.2"], "severity": "high", "mode": "protect"}
            ],
            "findings": [
                {
                    "file": "<stdin>", "line": 3, "kind": "Pod", "namespace": "default",
                    "name": "web", "policy": "pods-only", "allowed": false,
                    "message": "pod rejected [ASB 7.3, PCI 7.1.2]", "code": 400,
                    "controls": "ASB 7.3, PCI 7.1.2", "apiVersion": "v1",
                    "source": "chart/templates/pod.yaml", "severity": "high", "mode": "protect",
                    "paths": []
                },
                {
                    "file": "<stdin>", "line": 13, "kind": "Deployment", "namespace": "shop",
                    "name": "api", "policy": "apps-only", "allowed": true,
                    "message": null, "code": null, "apiVersion": "apps/v1",
                    "source": "chart/templates/list.yaml", "severity": "high", "mode": "protect",
                    "paths": []
                }
            ],
            "inputErrors": [],
            "warnings": [],
            "notes": []
        })
    );
    // Keys come in the documented order.
    let findings = &stdout[stdout.find("\"findings\"").expect("findings")..];
    let positions: Vec<usize> = [
        "file",
        "line",
        "kind",
        "namespace",
        "name",
        "policy",
        "allowed",
        "message",
        "code",
        "controls",
    ]
    .iter()
    .map(|key| findings.find(&format!("\"{key}\":")).expect(key))
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{stdout}");
    let top: Vec<usize> = [
        "summary",
        "policies",
        "findings",
        "inputErrors",
        "warnings",
        "notes",
    ]
    .iter()
    // Top-level keys only (two spaces of indent): `summary` holds an `inputErrors` too.
    .map(|key| stdout.find(&format!("\n  \"{key}\":")).expect(key))
    .collect();
    assert!(top.windows(2).all(|w| w[0] < w[1]), "{stdout}");

    // JSON on stdin.
    let (code, stdout, stderr) = host_test(
        &["scan", "--dist", &dist, "--settings-dir", &settings, "-"],
        Some(POD_JSON),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.starts_with("<stdin>\n  :2  Pod json-ns/j\n    FAIL  pods-only  high  [ASB 7.3, PCI 7.1.2]  -\n          pod rejected\n"),
        "{stdout}"
    );
    assert!(stdout.ends_with("\n1 objects, 1 evaluations, 1 rejected, 0 errors\n"));
}
