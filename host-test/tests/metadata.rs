//! Metadata: annotate → read round trip, idempotence, kwctl's validation, policy-server's
//! refusal of unannotated or non-v1 modules, and routing by the rules.

mod common;

use common::{harness, module, wasm};
use host_test::metadata::{
    METADATA_SECTION, Metadata, read_metadata, read_metadata_section, strip_metadata_sections,
    write_metadata_section,
};
use host_test::{AnnotateError, annotate};
use serde_json::{Value, json};

const METADATA: &str = r#"
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods", "pods/ephemeralcontainers"]
    operations: ["CREATE", "UPDATE"]
  - apiGroups: ["apps"]
    apiVersions: ["v1"]
    resources: ["deployments", "*/scale"]
    operations: ["*"]
mutating: false
contextAwareResources:
  - apiVersion: v1
    kind: Namespace
executionMode: kubewarden-wapc
annotations:
  io.kubewarden.policy.title: echo
  io.kubewarden.policy.version: 0.1.0
contextAware: false
"#;

fn annotated() -> Vec<u8> {
    let h = harness();
    let metadata = Metadata::from_yaml(METADATA).expect("metadata parses");
    annotate(
        &h,
        "echo",
        &wasm("echo"),
        metadata,
        Some("# Echo\nUsage text.\n"),
    )
    .expect("annotates")
}

#[test]
fn annotate_then_read_round_trips() {
    let bytes = annotated();
    let metadata = read_metadata(&bytes)
        .expect("valid module")
        .expect("annotated");
    assert_eq!(metadata.protocol_version.as_deref(), Some("v1"));
    assert!(!metadata.mutating);
    assert!(
        metadata.background_audit,
        "backgroundAudit defaults to true"
    );
    assert_eq!(metadata.rules.len(), 2);
    let annotations = metadata.annotations.expect("annotations");
    assert_eq!(
        annotations["io.kubewarden.policy.usage"],
        "# Echo\nUsage text.\n"
    );
    assert_eq!(annotations["io.kubewarden.policy.title"], "echo");

    // Compact JSON, camelCase, None omitted.
    let raw = read_metadata_section(&bytes)
        .expect("valid")
        .expect("section");
    let text = String::from_utf8(raw).expect("utf-8");
    assert!(!text.contains('\n') && !text.contains(": "), "{text}");
    let json: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(json["protocolVersion"], "v1");
    assert_eq!(json["executionMode"], "kubewarden-wapc");
    assert_eq!(json["policyType"], "kubernetes");
    assert_eq!(json["backgroundAudit"], true);
    assert_eq!(
        json["contextAwareResources"],
        json!([{"apiVersion": "v1", "kind": "Namespace"}])
    );
    assert!(json.get("minimumKubewardenVersion").is_none());
    assert!(json.get("hostCapabilities").is_none());
    assert!(
        json.get("contextAware").is_none(),
        "unknown keys are dropped"
    );

    // The annotated module still runs, and shares its compiled code with the original.
    let h = harness();
    let m = h.load_module_bytes("echo", &bytes).expect("loads");
    m.check_runnable().expect("runnable");
    assert_eq!(m.digest(), module(&h, "echo").digest());
}

#[test]
fn annotating_twice_is_idempotent_and_keeps_one_section() {
    let once = annotated();
    let h = harness();
    let metadata = Metadata::from_yaml(METADATA).expect("metadata parses");
    let twice =
        annotate(&h, "echo", &once, metadata, Some("# Echo\nUsage text.\n")).expect("annotates");
    assert_eq!(once, twice);
    let sections = wasmparser::Parser::new(0)
        .parse_all(&twice)
        .filter(|p| matches!(p, Ok(wasmparser::Payload::CustomSection(r)) if r.name() == METADATA_SECTION))
        .count();
    assert_eq!(sections, 1);
    assert_eq!(
        strip_metadata_sections(&twice).expect("module"),
        wasm("echo")
    );
}

#[test]
fn the_first_metadata_section_wins() {
    let base = wasm("echo");
    let first = write_metadata_section(
        &base,
        br#"{"rules":[],"mutating":true,"protocolVersion":"v1"}"#,
    )
    .expect("module");
    // Append a second section by hand (write_metadata_section would replace the first).
    let mut second = first.clone();
    let name = METADATA_SECTION.as_bytes();
    let body = br#"{"rules":[],"mutating":false}"#;
    second.push(0);
    second.push((1 + name.len() + body.len()) as u8);
    second.push(name.len() as u8);
    second.extend_from_slice(name);
    second.extend_from_slice(body);
    let metadata = read_metadata(&second).expect("valid").expect("annotated");
    assert!(metadata.mutating);
}

#[test]
fn kwctl_validation_rules() {
    let invalid = [
        ("rules: []\nmutating: false\n", "'rules' must not be empty"),
        (
            "rules: [{apiGroups: [], apiVersions: [v1], resources: [pods], operations: [CREATE]}]\nmutating: false\n",
            "rules[0].apiGroups: must not be empty",
        ),
        (
            "rules: [{apiGroups: ['', '*'], apiVersions: [v1], resources: [pods], operations: [CREATE]}]\nmutating: false\n",
            "no other elements can be defined when '*' is used",
        ),
        (
            "rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: ['*', CREATE]}]\nmutating: false\n",
            "rules[0].operations",
        ),
        (
            "rules: [{apiGroups: [''], apiVersions: [v1], resources: ['*', pods], operations: [CREATE]}]\nmutating: false\n",
            "if '*' is present, must not specify other resources without subresources",
        ),
        (
            "rules: [{apiGroups: [''], apiVersions: [v1], resources: ['*/*', pods], operations: [CREATE]}]\nmutating: false\n",
            "if '*/*' is present",
        ),
        (
            "rules: [{apiGroups: [''], apiVersions: [v1], resources: ['pods/*', 'pods/log'], operations: [CREATE]}]\nmutating: false\n",
            "if 'pods/*' is present, must not specify pods/log",
        ),
    ];
    for (yaml, expected) in invalid {
        let metadata = Metadata::from_yaml(yaml).expect("parses");
        let error = metadata.validate().expect_err(yaml).to_string();
        assert!(error.contains(expected), "{yaml}: {error}");
    }
    let valid = "rules: [{apiGroups: [a], apiVersions: [a], resources: ['*', 'a/b', 'a/*', '*/b'], operations: [CREATE]}]\nmutating: false\n";
    Metadata::from_yaml(valid)
        .expect("parses")
        .validate()
        .expect("valid");
    // Unknown operation and missing `mutating` fail when parsing.
    assert!(Metadata::from_yaml("rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: [PATCH]}]\nmutating: false\n").is_err());
    assert!(Metadata::from_yaml("rules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: [CREATE]}]\n").is_err());
}

#[test]
fn annotate_refuses_invalid_metadata_and_modules_without_protocol_version() {
    let h = harness();
    let bad = Metadata::from_yaml("rules: []\nmutating: false\n").expect("parses");
    assert!(matches!(
        annotate(&h, "echo", &wasm("echo"), bad, None),
        Err(AnnotateError::Metadata(_))
    ));
    let good = Metadata::from_yaml(METADATA).expect("parses");
    let e =
        annotate(&h, "malformed", &wasm("malformed"), good, None).expect_err("no protocol version");
    assert!(
        e.to_string()
            .contains("cannot invoke 'protocol_version' waPC function"),
        "{e}"
    );
}

#[test]
fn policy_server_refuses_modules_that_are_not_protocol_v1() {
    let h = harness();
    let v2 = write_metadata_section(
        &wasm("echo"),
        br#"{"protocolVersion":"v2","rules":[{"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"],"operations":["CREATE"]}],"mutating":false}"#,
    )
    .expect("module");
    let m = h.load_module_bytes("echo", &v2).expect("loads");
    let e = m.check_runnable().expect_err("v2");
    assert!(
        e.to_string().contains("unsupported protocol version 'v2'"),
        "{e}"
    );
    let rego = write_metadata_section(
        &wasm("echo"),
        br#"{"protocolVersion":"Unknown","rules":[],"mutating":false,"executionMode":"opa"}"#,
    )
    .expect("module");
    let m = h.load_module_bytes("echo", &rego).expect("loads");
    assert!(
        m.check_runnable()
            .expect_err("opa")
            .to_string()
            .contains("execution mode 'opa'")
    );
}

#[test]
fn invalid_metadata_section_fails_to_load() {
    let h = harness();
    let broken = write_metadata_section(&wasm("echo"), b"{not json").expect("module");
    let e = h.load_module_bytes("broken", &broken).expect_err("invalid");
    assert!(
        e.to_string()
            .contains("cannot read the metadata of module broken"),
        "{e}"
    );
}

#[test]
fn routing_follows_kubernetes_rule_matching() {
    let metadata = Metadata::from_yaml(METADATA).expect("parses");
    let cases = [
        ("", "v1", "pods", "", "CREATE", true),
        ("", "v1", "pods", "", "UPDATE", true),
        ("", "v1", "pods", "", "DELETE", false),
        ("", "v1", "pods", "ephemeralcontainers", "UPDATE", true),
        ("", "v1", "pods", "status", "UPDATE", false),
        ("", "v1", "pods", "exec", "CONNECT", false),
        ("apps", "v1", "deployments", "", "DELETE", true),
        ("apps", "v1", "deployments", "scale", "UPDATE", true),
        ("apps", "v1", "statefulsets", "scale", "UPDATE", true),
        ("apps", "v1", "statefulsets", "", "CREATE", false),
        ("apps", "v1beta1", "deployments", "", "CREATE", false),
        ("batch", "v1", "jobs", "", "CREATE", false),
    ];
    for (group, version, resource, sub, op, expected) in cases {
        assert_eq!(
            metadata.routes(group, version, resource, sub, op),
            expected,
            "{group}/{version} {resource}/{sub} {op}"
        );
    }
    let everything = Metadata::from_yaml(
        "rules: [{apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], operations: ['*']}]\nmutating: false\n",
    )
    .expect("parses");
    assert!(everything.routes("apps", "v1", "deployments", "", "CREATE"));
    assert!(
        !everything.routes("", "v1", "pods", "ephemeralcontainers", "UPDATE"),
        "'*' excludes subresources"
    );
    let all = Metadata::from_yaml(
        "rules: [{apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'], operations: ['*']}]\nmutating: false\n",
    )
    .expect("parses");
    assert!(all.routes("", "v1", "pods", "ephemeralcontainers", "UPDATE"));
    assert!(all.routes("", "v1", "pods", "", "CREATE"));
    let pod_subs = Metadata::from_yaml(
        "rules: [{apiGroups: [''], apiVersions: [v1], resources: ['pods/*'], operations: ['*']}]\nmutating: false\n",
    )
    .expect("parses");
    assert!(pod_subs.routes("", "v1", "pods", "exec", "CONNECT"));
    // The API server's matcher treats the '*' half as matching the empty subresource too.
    assert!(pod_subs.routes("", "v1", "pods", "", "CREATE"));
    assert!(!pod_subs.routes("", "v1", "services", "", "CREATE"));

    let request = json!({"resource": {"group": "", "version": "v1", "resource": "pods"}, "subResource": "ephemeralcontainers", "operation": "UPDATE"});
    assert!(metadata.routes_request(&request));
}
