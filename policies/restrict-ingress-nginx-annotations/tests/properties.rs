//! Properties of the rule, through the same entry point as the module (`runtime::evaluate`),
//! with a fixed seed: the shapes of the evasion classes rather than single examples.
//!
//! - any ingress-nginx annotation (other than a snippet) whose value holds a character that
//!   leaves an nginx directive is rejected, and the message names the annotation;
//! - any Go `strconv.ParseBool` true spelling of `allow-snippet-annotations` is rejected and
//!   any false spelling accepted, in every guarded ConfigMap;
//! - `annotations-risk-level` in any mix of cases of "critical" is rejected;
//! - a Prefix path is accepted exactly when it matches the controller's strict regex.

use policy_helpers::runtime::evaluate;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use restrict_ingress_nginx_annotations::RestrictIngressNginxAnnotations as P63;
use serde_json::{Value, json};

const SEED: [u8; 32] = *b"p63-restrict-ingress-nginx-annot";

fn runner(cases: u32) -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &SEED),
    )
}

fn ingress(annotations: Value, path: &str, path_type: &str) -> Value {
    json!({
        "uid": "p",
        "kind": {"group": "networking.k8s.io", "version": "v1", "kind": "Ingress"},
        "resource": {"group": "networking.k8s.io", "version": "v1", "resource": "ingresses"},
        "name": "web", "namespace": "shop", "operation": "CREATE",
        "userInfo": {"username": "alice"},
        "object": {
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "web", "namespace": "shop", "annotations": annotations},
            "spec": {"rules": [{"host": "shop.contoso.com", "http": {"paths": [
                {"path": path, "pathType": path_type,
                 "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}
        }
    })
}

fn config_map(namespace: &str, name: &str, data: Value) -> Value {
    json!({
        "uid": "p",
        "kind": {"group": "", "version": "v1", "kind": "ConfigMap"},
        "resource": {"group": "", "version": "v1", "resource": "configmaps"},
        "name": name, "namespace": namespace, "operation": "CREATE",
        "userInfo": {"username": "alice"},
        "object": {"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": name, "namespace": namespace}, "data": data}
    })
}

/// (accepted, message)
fn run(request: Value) -> (bool, String) {
    run_with(request, json!({}))
}

fn run_with(request: Value, settings: Value) -> (bool, String) {
    let payload = json!({"request": request, "settings": settings}).to_string();
    let r = evaluate::<P63>(payload.as_bytes()).expect("a validation response");
    (r.accepted, r.message.unwrap_or_default())
}

/// Text that leaves nothing: letters, digits and the URL characters every class allows.
fn safe() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9._~:/?&=,-]{0,16}".prop_filter("no parent segment or file reference", |s| {
        restrict_ingress_nginx_annotations::nginx::file_reference(s).is_none()
    })
}

fn annotation_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("auth-url".to_string()),
        Just("auth-signin".to_string()),
        Just("auth-tls-match-cn".to_string()),
        Just("mirror-target".to_string()),
        Just("mirror-host".to_string()),
        Just("permanent-redirect".to_string()),
        Just("temporal-redirect".to_string()),
        Just("rewrite-target".to_string()),
        Just("server-alias".to_string()),
        "(proxy|auth|cors|limit)-[a-z]{1,12}",
    ]
    .prop_filter("not a snippet", |n| !n.ends_with("-snippet"))
}

#[test]
fn a_breakout_character_anywhere_is_rejected_and_named() {
    let breakout = prop::sample::select(vec![
        ';', '{', '}', '"', '\'', '`', '#', '\n', '\r', '\t', '\u{0}', '\u{7f}',
    ]);
    runner(400)
        .run(
            &(annotation_name(), safe(), breakout, safe()),
            |(name, before, c, after)| {
                let key = format!("nginx.ingress.kubernetes.io/{name}");
                let value = format!("{before}{c}{after}");
                let (accepted, message) =
                    run(ingress(json!({ key.clone(): value }), "/", "Prefix"));
                prop_assert!(!accepted, "{key}={value:?} was accepted");
                let named = format!("metadata.annotations[{key}]=");
                prop_assert!(message.contains(&named), "{message}");
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn safe_values_are_accepted() {
    runner(300)
        .run(&(annotation_name(), safe()), |(name, value)| {
            let key = format!("nginx.ingress.kubernetes.io/{name}");
            let (accepted, message) = run(ingress(json!({ key: value }), "/", "Prefix"));
            prop_assert!(accepted, "{message}");
            Ok(())
        })
        .unwrap();
}

#[test]
fn every_go_boolean_spelling_is_read_as_the_controller_reads_it() {
    let config_maps = prop::sample::select(vec![
        ("app-routing-system", "nginx"),
        ("ingress-nginx", "ingress-nginx-controller"),
    ]);
    let truths = prop::sample::select(vec!["1", "t", "T", "TRUE", "true", "True"]);
    let falsehoods = prop::sample::select(vec!["0", "f", "F", "FALSE", "false", "False", ""]);
    // The App Routing ConfigMap is guarded only when listed (not a default).
    let settings = json!({"controllerConfigMaps": [
        "app-routing-system/nginx",
        "ingress-nginx/ingress-nginx-controller",
    ]});
    runner(100)
        .run(&(config_maps, truths, falsehoods), |((ns, name), t, f)| {
            let (accepted, message) = run_with(
                config_map(ns, name, json!({"allow-snippet-annotations": t})),
                settings.clone(),
            );
            prop_assert!(
                !accepted && message.contains("read by the controller as true"),
                "{t:?}: {message}"
            );
            let (accepted, message) = run_with(
                config_map(
                    ns,
                    name,
                    json!({"allow-snippet-annotations": f, "strict-validate-path-type": "true"}),
                ),
                settings.clone(),
            );
            prop_assert!(accepted, "{f:?}: {message}");
            Ok(())
        })
        .unwrap();
}

#[test]
fn critical_in_any_case_is_rejected() {
    let mask = prop::collection::vec(any::<bool>(), 8);
    runner(100)
        .run(&mask, |upper| {
            let level: String = "critical"
                .chars()
                .zip(upper)
                .map(|(c, u)| if u { c.to_ascii_uppercase() } else { c })
                .collect();
            let (accepted, message) = run(config_map(
                "ingress-nginx",
                "ingress-nginx-controller",
                json!({"annotations-risk-level": level}),
            ));
            prop_assert!(
                !accepted && message.contains("as Critical"),
                "{level}: {message}"
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn prefix_paths_are_accepted_exactly_when_they_match_the_strict_regex() {
    runner(400)
        .run(&"/[ -~]{0,12}", |path| {
            let strict = path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'));
            let (accepted, message) = run(ingress(json!({}), &path, "Prefix"));
            prop_assert_eq!(accepted, strict, "{:?}: {}", path, message);
            Ok(())
        })
        .unwrap();
}
