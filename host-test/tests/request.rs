//! Request loading: AdmissionReview vs AdmissionRequest, JSON vs YAML, null dropping,
//! unknown keys, required keys and types.

mod common;

use common::{pod_request, scratch, write};
use host_test::{RequestError, load_request, normalize_request, parse_request};
use serde_json::{Value, json};

#[test]
fn review_and_request_give_the_same_request() {
    let request = pod_request();
    let review =
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request});
    let a = normalize_request(request.clone(), "a").expect("request");
    let b = normalize_request(review, "b").expect("review");
    assert_eq!(a, b);
    assert_eq!(a["kind"]["kind"], "Pod");
}

#[test]
fn yaml_and_json_files_load_alike() {
    let dir = scratch("request");
    let json_path = dir.join("create-pod.json");
    write(
        &json_path,
        serde_json::to_string_pretty(&pod_request()).expect("json"),
    );
    let yaml_path = dir.join("create-pod.yaml");
    write(
        &yaml_path,
        r#"
apiVersion: admission.k8s.io/v1
kind: AdmissionReview
request:
  uid: 1299d386-525b-4032-98ae-1949f69f9cfc
  kind: {group: "", version: v1, kind: Pod}
  resource: {group: "", version: v1, resource: pods}
  requestKind: {group: "", version: v1, kind: Pod}
  requestResource: {group: "", version: v1, resource: pods}
  name: nginx
  namespace: default
  operation: CREATE
  userInfo: {username: alice, groups: ["system:authenticated"]}
  object:
    apiVersion: v1
    kind: Pod
    metadata: {name: nginx, namespace: default}
    spec:
      containers: [{name: nginx, image: "nginx:1.27"}]
  dryRun: false
"#,
    );
    assert_eq!(
        load_request(&json_path).expect("json"),
        load_request(&yaml_path).expect("yaml")
    );
}

#[test]
fn null_and_unknown_keys_are_dropped_at_the_top_level() {
    let mut request = pod_request();
    request["options"] = Value::Null;
    request["dryRun"] = Value::Null;
    request["namespace"] = Value::Null;
    request["oldObject"] = Value::Null;
    request["extraField"] = json!("ignored");
    request["object"]["metadata"]["labels"] = Value::Null;
    request["userInfo"]["uid"] = Value::Null;
    let n = normalize_request(request, "t").expect("valid");
    let keys: Vec<&str> = n
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    for dropped in ["options", "dryRun", "namespace", "oldObject", "extraField"] {
        assert!(!keys.contains(&dropped), "{dropped} in {keys:?}");
    }
    // Only the top level (and userInfo's own fields) are re-shaped; objects are untouched.
    assert_eq!(n["object"]["metadata"]["labels"], Value::Null);
    assert!(n["userInfo"].get("uid").is_none());
}

#[test]
fn missing_required_keys_are_named() {
    for key in ["uid", "kind", "resource", "operation", "userInfo"] {
        let mut request = pod_request();
        request.as_object_mut().expect("object").remove(key);
        let e = normalize_request(request, "case.yaml").expect_err(key);
        assert!(
            matches!(&e, RequestError::Missing { key: k, .. } if k == key),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            format!("request case.yaml is missing required key '{key}'")
        );
    }
    let mut request = pod_request();
    request["kind"]
        .as_object_mut()
        .expect("object")
        .remove("group");
    let e = normalize_request(request, "r").expect_err("kind.group");
    assert_eq!(
        e.to_string(),
        "request r is missing required key 'kind.group'"
    );
}

#[test]
fn wrong_types_and_shapes_are_reported() {
    let mut request = pod_request();
    request["dryRun"] = json!("yes");
    assert_eq!(
        normalize_request(request, "r")
            .expect_err("type")
            .to_string(),
        "request r: 'dryRun' must be a boolean"
    );
    let mut request = pod_request();
    request["userInfo"]["groups"] = json!("admins");
    assert!(normalize_request(request, "r").is_err());
    assert!(matches!(
        normalize_request(json!([1]), "r"),
        Err(RequestError::NotObject { .. })
    ));
    assert!(matches!(
        normalize_request(json!({"kind": "AdmissionReview"}), "r"),
        Err(RequestError::EmptyReview { .. })
    ));
    assert!(matches!(
        parse_request(":\n  - [", "r"),
        Err(RequestError::Parse { .. })
    ));
}
