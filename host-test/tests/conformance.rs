//! The pieces of `host-test conformance` that need no Kubewarden binary: kwctl's session
//! format, the comparison of answers, and the answers of a policy-server without a cluster.

use std::collections::BTreeSet;
use std::sync::Arc;

use host_test::callbacks::{CALLBACK_FAILURE, NO_CLUSTER_MESSAGE, answer, without_cluster};
use host_test::conformance::{Outcome, Verdict, differences, slug};
use host_test::replay::{self, Exchange, Response};
use host_test::{ClusterFixture, ContextAwareResource, HostContext};
use serde_json::{Value, json};

fn context(cluster: ClusterFixture) -> HostContext {
    HostContext {
        policy_id: "p".to_owned(),
        host_capabilities: vec!["*".to_owned()],
        context_aware_resources: BTreeSet::from([ContextAwareResource {
            api_version: "v1".to_owned(),
            kind: "Namespace".to_owned(),
        }]),
        cluster: Arc::new(cluster),
        hidden_object: None,
    }
}

fn cluster() -> ClusterFixture {
    ClusterFixture::parse(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {pci-scope: in-scope}\n",
        "test",
    )
    .expect("fixture parses")
}

const GET_SHOP: &str = r#"{"api_version":"v1","kind":"Namespace","name":"shop","namespace":null,"disable_cache":false,"field_masks":null}"#;
const GET_GONE: &str = r#"{"api_version":"v1","kind":"Namespace","name":"gone","namespace":null,"disable_cache":false}"#;
const LIST_SECRETS: &str = r#"{"api_version":"v1","kind":"Secret","namespace":"shop","label_selector":null,"field_selector":null}"#;

#[test]
fn a_session_holds_the_calls_policy_evaluator_handles_in_kwctls_format() {
    let context = context(cluster());
    let calls = [
        (
            "tracing",
            "log",
            br#"{"level":"info","message":"x"}"#.as_slice(),
        ),
        ("kubernetes", "get_resource", GET_SHOP.as_bytes()),
        ("kubernetes", "get_resource", GET_GONE.as_bytes()),
        // Not granted: refused before the callback handler, so kwctl records nothing.
        (
            "kubernetes",
            "list_resources_by_namespace",
            LIST_SECRETS.as_bytes(),
        ),
    ];
    let session = replay::session(&context, &calls).expect("session");
    assert_eq!(session.len(), 2, "{session:?}");
    assert_eq!(
        session[0].request,
        "!KubernetesGetResource\napi_version: v1\ndisable_cache: false\nfield_masks: null\nkind: Namespace\nname: shop\nnamespace: null\n"
    );
    let Response::Success { payload } = &session[0].response else {
        panic!("expected a success: {:?}", session[0].response);
    };
    let object: Value = serde_json::from_str(payload).expect("JSON answer");
    assert_eq!(object["metadata"]["labels"]["pci-scope"], "in-scope");
    // The recorded error is the handler's own text: kwctl's replay hands it to
    // policy-evaluator, which puts its prefix before it again.
    assert_eq!(
        session[1].response,
        Response::Error {
            message: "Cannot find v1/Namespace named 'gone' inside of namespace 'None'".to_owned()
        }
    );
    let yaml = replay::to_yaml(&session);
    assert!(yaml.starts_with("- type: Exchange\n  request: |"), "{yaml}");
    let back: Vec<Exchange> = serde_yaml::from_str(&yaml).expect("round trip");
    assert_eq!(back, session);
}

#[test]
fn a_payload_that_is_not_json_is_an_error_not_a_session() {
    let context = context(cluster());
    let e = replay::session(
        &context,
        &[("kubernetes", "get_resource", b"{not json".as_slice())],
    )
    .expect_err("not JSON");
    assert!(e.contains("not JSON"), "{e}");
}

#[test]
fn verification_requests_become_kwctls_externally_tagged_variants() {
    let context = context(cluster());
    let v2 = br#"{"type":"SigstorePubKeyVerify","image":"ghcr.io/acme/app:1.0","pub_keys":["k"],"annotations":null}"#;
    let session =
        replay::session(&context, &[("oci", "v2/verify", v2.as_slice())]).expect("session");
    assert_eq!(
        session[0].request,
        "!SigstorePubKeyVerify\nannotations: null\nimage: ghcr.io/acme/app:1.0\npub_keys:\n- k\n"
    );
}

#[test]
fn without_a_cluster_every_granted_lookup_fails_as_policy_server_says() {
    let context = HostContext {
        cluster: Arc::new(without_cluster(Some(&cluster()))),
        ..context(ClusterFixture::empty())
    };
    assert_eq!(
        answer(&context, "kubernetes", "get_resource", GET_SHOP.as_bytes()),
        Err(format!("{CALLBACK_FAILURE}{NO_CLUSTER_MESSAGE}"))
    );
    // The grants are checked first, as policy-evaluator does.
    let refused = answer(
        &context,
        "kubernetes",
        "list_resources_by_namespace",
        LIST_SECRETS.as_bytes(),
    )
    .expect_err("not granted");
    assert!(
        refused.starts_with("Policy has not been granted access"),
        "{refused}"
    );
}

fn response(value: Value) -> Verdict {
    Verdict::from_response(&value).expect("verdict")
}

#[test]
fn answers_are_compared_field_by_field() {
    let patch = base64_of(r#"[{"op":"add","path":"/a","value":1}]"#);
    let a = response(
        json!({"uid": "1", "allowed": true, "patch": patch, "patchType": "JSONPatch",
                            "auditAnnotations": {}, "warnings": null}),
    );
    let b =
        response(json!({"uid": "2", "allowed": true, "patch": patch, "patchType": "JSONPatch"}));
    assert_eq!(
        a.patch,
        Some(json!([{"op": "add", "path": "/a", "value": 1}]))
    );
    assert!(differences(&Outcome::Verdict(a.clone()), &Outcome::Verdict(b)).is_empty());
    let c = response(json!({"allowed": false, "status": {"code": 400, "message": "no"}}));
    let diff = differences(&Outcome::Verdict(a), &Outcome::Verdict(c));
    assert_eq!(diff.len(), 4, "{diff:?}");
    assert!(diff[0].starts_with("allowed: host-test true, runner false"));
    let settings = differences(
        &Outcome::SettingsInvalid("p: rules is empty".into()),
        &Outcome::SettingsInvalid("p: rules is empty".into()),
    );
    assert!(settings.is_empty());
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[test]
fn session_files_are_named_after_their_case() {
    assert_eq!(
        slug("a failed lookup rejects with the lookup named (fail closed)"),
        "a-failed-lookup-rejects-with-the-lookup-named-fail-closed"
    );
    assert_eq!(slug("  UPDATE: x/y  "), "update-x-y");
    assert!(slug(&"word ".repeat(40)).len() <= 80);
}
