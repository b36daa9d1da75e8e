//! Host capabilities answered from a cluster fixture, with policy-server's gating and exact
//! error strings, driven by a guest that makes whatever host call its payload describes.

mod common;

use std::sync::Arc;

use common::{data_dir, harness, module};
use host_test::fixture::{FieldSelector, LabelSelector};
use host_test::{ClusterFixture, ContextAwareResource, EvalOptions, Failure};
use serde_json::{Value, json};

fn fixture() -> Arc<ClusterFixture> {
    Arc::new(ClusterFixture::load(data_dir().join("cluster.yaml")).expect("fixture loads"))
}

fn resource(api_version: &str, kind: &str) -> ContextAwareResource {
    ContextAwareResource {
        api_version: api_version.to_owned(),
        kind: kind.to_owned(),
    }
}

fn options() -> EvalOptions {
    EvalOptions {
        context_aware_resources: Some(vec![
            resource("v1", "Namespace"),
            resource("v1", "ServiceAccount"),
            resource("networking.k8s.io/v1", "NetworkPolicy"),
        ]),
        cluster: Some(fixture()),
        ..EvalOptions::default()
    }
}

/// Makes one host call through the guest; Ok is the host response, Err the host error.
fn host_call(
    options: &EvalOptions,
    binding: &str,
    namespace: &str,
    operation: &str,
    body: &str,
) -> Result<String, String> {
    let h = harness();
    let m = module(&h, "hostcall");
    let payload = format!("{binding}\n{namespace}\n{operation}\n{body}");
    let outcome = m.call("validate", payload.as_bytes(), options);
    match outcome.result {
        Ok(bytes) => Ok(String::from_utf8(bytes).expect("utf-8")),
        Err(Failure::Guest { message }) => Err(message),
        Err(other) => panic!("unexpected failure {other:?}"),
    }
}

fn json_of(text: Result<String, String>) -> Value {
    serde_json::from_str(&text.expect("host call succeeds")).expect("json")
}

#[test]
fn get_resource_answers_from_the_fixture() {
    let ns = json_of(host_call(
        &options(),
        "kubewarden",
        "kubernetes",
        "get_resource",
        r#"{"api_version":"v1","kind":"Namespace","name":"payments","namespace":null,"disable_cache":false}"#,
    ));
    assert_eq!(ns["metadata"]["labels"]["pci-scope"], "true");

    let missing = host_call(
        &options(),
        "kubewarden",
        "kubernetes",
        "get_resource",
        r#"{"api_version":"v1","kind":"ServiceAccount","name":"ghost","namespace":"default","disable_cache":true}"#,
    );
    assert_eq!(
        missing,
        Err(
            "Callback evaluation failure: Cannot find v1/ServiceAccount named 'ghost' inside of namespace 'Some(\"default\")'"
                .to_owned()
        )
    );

    let no_namespace = host_call(
        &options(),
        "kubewarden",
        "kubernetes",
        "get_resource",
        r#"{"api_version":"v1","kind":"ServiceAccount","name":"default","disable_cache":true}"#,
    );
    assert_eq!(
        no_namespace,
        Err("Callback evaluation failure: Resource v1/ServiceAccount is namespaced, but no namespace was provided".to_owned())
    );
}

#[test]
fn list_calls_filter_by_namespace_and_selectors() {
    let list = json_of(host_call(
        &options(),
        "kubewarden",
        "kubernetes",
        "list_resources_by_namespace",
        r#"{"api_version":"v1","kind":"ServiceAccount","namespace":"default","label_selector":null,"field_selector":null}"#,
    ));
    assert_eq!(list["kind"], "ServiceAccountList");
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["metadata"], json!({}));
    let names: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["metadata"]["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["builder", "default"]);

    let list = json_of(host_call(
        &options(),
        "kubewarden",
        "kubernetes",
        "list_resources_all",
        r#"{"api_version":"v1","kind":"Namespace","label_selector":"env in (prod, staging),pci-scope","field_selector":null}"#,
    ));
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
    assert_eq!(list["items"][0]["metadata"]["name"], "payments");

    let list = json_of(host_call(
        &options(),
        "kubewarden",
        "kubernetes",
        "list_resources_all",
        r#"{"api_version":"v1","kind":"ServiceAccount","field_selector":"metadata.namespace!=default"}"#,
    ));
    assert_eq!(list["items"].as_array().expect("items").len(), 1);

    let cluster_wide = host_call(
        &options(),
        "kubewarden",
        "kubernetes",
        "list_resources_by_namespace",
        r#"{"api_version":"v1","kind":"Namespace","namespace":"default"}"#,
    );
    assert_eq!(
        cluster_wide,
        Err(
            "Callback evaluation failure: resource v1/Namespace is cluster wide. Cannot search for it inside of a namespace"
                .to_owned()
        )
    );
}

#[test]
fn label_and_field_selectors() {
    let labels = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let l = labels(&[("env", "prod"), ("tier", "web")]);
    for (selector, expected) in [
        ("env=prod", true),
        ("env==prod", true),
        ("env!=prod", false),
        ("env!=dev", true),
        ("tier", true),
        ("!tier", false),
        ("!owner", true),
        ("env in (dev,prod)", true),
        ("env notin (dev, prod)", false),
        ("owner notin (x)", true),
        ("env=prod,tier=web", true),
        ("env=prod,tier=db", false),
        ("", true),
    ] {
        let parsed = LabelSelector::parse(selector).expect(selector);
        assert_eq!(parsed.matches(&l), expected, "{selector}");
    }
    assert!(LabelSelector::parse("env in prod").is_err());
    assert!(LabelSelector::parse("=x").is_err());
    assert!(FieldSelector::parse("spec.nodeName=a").is_err());
    let f = FieldSelector::parse("metadata.name=x,metadata.namespace!=kube-system").expect("ok");
    assert!(f.matches(&json!({"metadata": {"name": "x", "namespace": "default"}})));
    assert!(!f.matches(&json!({"metadata": {"name": "x", "namespace": "kube-system"}})));
}

#[test]
fn can_i_answers_from_the_fixture_and_ignores_context_aware_list() {
    let opts = EvalOptions {
        context_aware_resources: Some(Vec::new()),
        ..options()
    };
    let review = |user: &str, groups: &str, verb: &str, resource: &str| {
        format!(
            r#"{{"subject_access_review":{{"groups":{groups},"resource_attributes":{{"group":"","namespace":"default","resource":"{resource}","verb":"{verb}","version":"v1"}},"user":"{user}"}},"disable_cache":false}}"#
        )
    };
    let allowed = json_of(host_call(
        &opts,
        "kubewarden",
        "kubernetes",
        "can_i",
        &review("alice", "null", "get", "secrets"),
    ));
    assert_eq!(allowed, json!({"allowed": true}));
    let denied = json_of(host_call(
        &opts,
        "kubewarden",
        "kubernetes",
        "can_i",
        &review("bob", "[]", "get", "secrets"),
    ));
    assert_eq!(denied, json!({"allowed": false}));
    let admin = json_of(host_call(
        &opts,
        "kubewarden",
        "kubernetes",
        "can_i",
        &review("carol", r#"["system:masters"]"#, "delete", "pods"),
    ));
    assert_eq!(admin, json!({"allowed": true, "reason": "cluster admin"}));
}

#[test]
fn oci_manifest_digest_and_generic_answers() {
    let digest = json_of(host_call(
        &options(),
        "kubewarden",
        "oci",
        "v1/manifest_digest",
        r#""docker.io/library/busybox:1.36""#,
    ));
    assert_eq!(
        digest["digest"],
        "sha256:0000000000000000000000000000000000000000000000000000000000000001"
    );
    let unknown = host_call(
        &options(),
        "kubewarden",
        "oci",
        "v1/manifest_digest",
        r#""nginx:latest""#,
    );
    assert!(
        unknown
            .expect_err("not in fixture")
            .contains("nginx:latest")
    );
    let ips = json_of(host_call(
        &options(),
        "kubewarden",
        "net",
        "v1/dns_lookup_host",
        r#""example.com""#,
    ));
    assert_eq!(ips, json!({"ips": ["192.0.2.1"]}));
    let no_answer = host_call(
        &options(),
        "kubewarden",
        "net",
        "v1/dns_lookup_host",
        r#""other.org""#,
    );
    assert!(
        no_answer
            .expect_err("no answer")
            .contains("no answer for net/v1/dns_lookup_host")
    );
}

#[test]
fn sigstore_verification_from_the_fixture() {
    let v2 = |body: &str| host_call(&options(), "kubewarden", "oci", "v2/verify", body);
    let trusted = json_of(v2(
        r#"{"type":"SigstorePubKeyVerify","image":"ghcr.io/acme/app:1.0","pub_keys":["-----BEGIN PUBLIC KEY-----\nKEYA\n-----END PUBLIC KEY-----"],"annotations":{"env":"prod"}}"#,
    ));
    assert_eq!(
        trusted,
        json!({"is_trusted": true, "digest": "sha256:00000000000000000000000000000000000000000000000000000000000000aa"})
    );
    let wrong_annotation = v2(
        r#"{"type":"SigstorePubKeyVerify","image":"ghcr.io/acme/app:1.0","pub_keys":["-----BEGIN PUBLIC KEY-----\nKEYA\n-----END PUBLIC KEY-----"],"annotations":{"env":"dev"}}"#,
    );
    assert!(
        wrong_annotation.expect_err("untrusted").starts_with(
            "Callback evaluation failure: Image verification failed: missing signatures"
        )
    );
    let keyless = json_of(v2(
        r#"{"type":"SigstoreKeylessPrefixVerify","image":"ghcr.io/acme/app:1.0","keyless_prefix":[{"issuer":"https://token.actions.githubusercontent.com","url_prefix":"https://github.com/acme/"}],"annotations":null}"#,
    ));
    assert_eq!(keyless["is_trusted"], true);
    let github = json_of(v2(
        r#"{"type":"SigstoreGithubActionsVerify","image":"ghcr.io/acme/app:1.0","owner":"acme","repo":null,"annotations":null}"#,
    ));
    assert_eq!(github["is_trusted"], true);
    let unsigned = v2(
        r#"{"type":"SigstoreKeylessVerify","image":"ghcr.io/evil/app:1.0","keyless":[{"issuer":"x","subject":"y"}],"annotations":null}"#,
    );
    assert_eq!(
        unsigned,
        Err(
            "Callback evaluation failure: no signatures found for image: ghcr.io/evil/app:1.0"
                .to_owned()
        )
    );
    // The legacy v1 wire form is externally tagged.
    let v1 = json_of(host_call(
        &options(),
        "kubewarden",
        "oci",
        "v1/verify",
        r#"{"SigstoreGithubActionsVerify":{"image":"ghcr.io/acme/app:1.0","owner":"acme","repo":"app","annotations":null}}"#,
    ));
    assert_eq!(v1["is_trusted"], true);
}

#[test]
fn unknown_binding_namespace_and_operation() {
    let o = options();
    assert_eq!(
        host_call(&o, "wapc", "kubernetes", "can_i", "{}"),
        Err("unknown binding: wapc".to_owned())
    );
    assert_eq!(
        host_call(&o, "kubewarden", "weather", "v1/now", "{}"),
        Err("unknown namespace: weather".to_owned())
    );
    assert_eq!(
        host_call(&o, "kubewarden", "oci", "v9/teleport", "{}"),
        Err("unknown operation: v9/teleport".to_owned())
    );
    assert_eq!(
        host_call(&o, "kubewarden", "kubernetes", "ingresses", "{}"),
        Err("unknown operation: ingresses".to_owned())
    );
}

#[test]
fn host_capability_allow_list_gates_everything_but_tracing() {
    let restricted = EvalOptions {
        host_capabilities: vec!["oci/v1/*".to_owned(), "kubernetes/can_i".to_owned()],
        ..options()
    };
    assert_eq!(
        host_call(&restricted, "kubewarden", "kubernetes", "get_resource", r#"{"api_version":"v1","kind":"Namespace","name":"default"}"#),
        Err("Policy has not been granted access to the 'kubernetes/get_resource' host capability. The violation has been reported.".to_owned())
    );
    assert_eq!(
        host_call(&restricted, "kubewarden", "oci", "v2/verify", "{}"),
        Err("Policy has not been granted access to the 'oci/v2/verify' host capability. The violation has been reported.".to_owned())
    );
    assert!(
        host_call(
            &restricted,
            "kubewarden",
            "oci",
            "v1/manifest_digest",
            r#""docker.io/library/busybox:1.36""#
        )
        .is_ok()
    );
    assert!(
        host_call(
            &restricted,
            "kubewarden",
            "tracing",
            "log",
            r#"{"level":"info","message":"hi"}"#
        )
        .is_ok()
    );
    let nothing = EvalOptions {
        host_capabilities: Vec::new(),
        ..options()
    };
    assert!(
        host_call(
            &nothing,
            "kubewarden",
            "tracing",
            "log",
            r#"{"level":"info","message":"hi"}"#
        )
        .is_ok()
    );
    // Gating comes before the unknown-namespace check, as in policy-evaluator.
    assert_eq!(
        host_call(&nothing, "kubewarden", "weather", "v1/now", "{}"),
        Err("Policy has not been granted access to the 'weather/v1/now' host capability. The violation has been reported.".to_owned())
    );
    for (pattern, path, expected) in [
        ("*", "kubernetes/get_resource", true),
        ("oci/*", "oci/v1/manifest_digest", true),
        ("oci/v1/*", "oci/v2/verify", false),
        ("kubernetes/can_i", "kubernetes/can_i", true),
        ("kubernetes/can_i", "kubernetes/can_i_not", false),
        ("oci", "oci/v1/verify", false),
    ] {
        assert_eq!(
            host_test::callbacks::capability_matches(pattern, path),
            expected,
            "{pattern} {path}"
        );
    }
}

#[test]
fn context_aware_allow_list_gates_list_and_get() {
    let opts = EvalOptions {
        context_aware_resources: Some(vec![resource("v1", "Namespace")]),
        ..options()
    };
    assert_eq!(
        host_call(&opts, "kubewarden", "kubernetes", "list_resources_all", r#"{"api_version":"v1","kind":"Secret"}"#),
        Err("Policy has not been granted access to Kubernetes v1/Secret resources. The violation has been reported.".to_owned())
    );
    assert_eq!(
        host_call(&opts, "kubewarden", "kubernetes", "get_resource", r#"{"api_version":"networking.k8s.io/v1","kind":"NetworkPolicy","name":"deny-all","namespace":"payments"}"#),
        Err("Policy has not been granted access to Kubernetes networking.k8s.io/v1/NetworkPolicy resources. The violation has been reported.".to_owned())
    );
    assert!(
        host_call(
            &opts,
            "kubewarden",
            "kubernetes",
            "list_resources_all",
            r#"{"api_version":"v1","kind":"Namespace"}"#
        )
        .is_ok()
    );
}

#[test]
fn fixture_failures_turn_calls_into_errors() {
    let flaky = host_call(
        &options(),
        "kubewarden",
        "kubernetes",
        "get_resource",
        r#"{"api_version":"v1","kind":"Namespace","name":"flaky"}"#,
    );
    assert_eq!(
        flaky,
        Err("Callback evaluation failure: connection refused".to_owned())
    );
    // Only calls matching the failure's request fail.
    assert!(
        host_call(
            &options(),
            "kubewarden",
            "kubernetes",
            "get_resource",
            r#"{"api_version":"v1","kind":"Namespace","name":"default"}"#
        )
        .is_ok()
    );
}

#[test]
fn malformed_payload_is_a_serde_error() {
    let e = host_call(
        &options(),
        "kubewarden",
        "kubernetes",
        "get_resource",
        "not json",
    );
    assert!(e.expect_err("bad json").starts_with("expected ident"));
    let e = host_call(
        &options(),
        "kubewarden",
        "kubernetes",
        "get_resource",
        r#"{"api_version":"v1","kind":"Namespace"}"#,
    );
    assert!(e.expect_err("no name").contains("missing field `name`"));
}

#[test]
fn tracing_log_is_captured_and_host_calls_recorded() {
    let h = harness();
    let m = module(&h, "hostcall");
    let outcome = m.call(
        "validate",
        br#"kubewarden
tracing
log
{"level":"warning","message":"settings look odd","file":"src/lib.rs","line":3,"column":1,"policy":"x"}"#,
        &options(),
    );
    assert!(outcome.result.is_ok());
    let entry = outcome
        .log
        .iter()
        .find(|l| l.source == host_test::LogSource::Tracing)
        .expect("tracing line");
    assert_eq!(entry.level.as_deref(), Some("warning"));
    assert_eq!(entry.text, r#"settings look odd {"policy":"x"}"#);
    assert_eq!(outcome.host_calls.len(), 1);
    assert_eq!(outcome.host_calls[0].namespace, "tracing");
    assert_eq!(outcome.host_calls[0].outcome, Ok(String::new()));
}

#[test]
fn fixture_documents_are_checked() {
    let bad = ClusterFixture::parse("apiVersion: v1\nkind: Pod\nmetadata: {}\n", "inline");
    assert!(
        bad.expect_err("no name")
            .to_string()
            .contains("metadata.name")
    );
    let bad = ClusterFixture::parse("kind: HostTestFixture\ncanYou: []\n", "inline");
    assert!(bad.is_err());
    let empty = ClusterFixture::parse("---\n", "inline").expect("empty");
    assert!(empty.objects.is_empty());
}
