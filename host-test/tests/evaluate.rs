//! Evaluation as policy-server does it: payloads, the response conversion (accept, reject,
//! mutate in both modes, DELETE), guest errors, traps, malformed answers and WASI.

mod common;

use base64::Engine as _;
use common::{harness, module, pod_request};
use host_test::response::{DELETE_MUTATION_MESSAGE, not_allowed_to_mutate_message};
use host_test::{EvalOptions, Failure, PolicyMode};
use serde_json::{Value, json};

fn echo_validate(settings: Value, options: &EvalOptions) -> host_test::Evaluation {
    let h = harness();
    let m = module(&h, "echo");
    m.validate_with(&pod_request(), &settings, options)
        .expect("request is valid")
}

#[test]
fn accepted_request_serialises_like_kwctl_run() {
    let e = echo_validate(json!({"accepted": true}), &EvalOptions::default());
    assert!(e.allowed());
    assert!(e.failure.is_none());
    assert_eq!(
        e.response.to_json(),
        r#"{"uid":"1299d386-525b-4032-98ae-1949f69f9cfc","allowed":true,"auditAnnotations":null,"warnings":null}"#
    );
}

#[test]
fn rejection_keeps_message_code_warnings_and_annotations() {
    let e = echo_validate(
        json!({
            "accepted": false,
            "message": "privileged containers are not allowed",
            "code": 400,
            "mutated_object": null,
            "audit_annotations": {"asb": "7.3"},
            "warnings": ["container nginx is privileged"]
        }),
        &EvalOptions::default(),
    );
    assert!(!e.allowed());
    assert_eq!(e.message(), Some("privileged containers are not allowed"));
    assert_eq!(e.code(), Some(400));
    let json: Value = serde_json::from_str(&e.response.to_json()).expect("json");
    assert_eq!(json["auditAnnotations"], json!({"asb": "7.3"}));
    assert_eq!(json["warnings"], json!(["container nginx is privileged"]));
    assert_eq!(
        json["status"],
        json!({"message": "privileged containers are not allowed", "code": 400})
    );
}

fn mutated() -> Value {
    let mut object = pod_request()["object"].clone();
    object["metadata"]["labels"] = json!({"team": "a"});
    json!({"accepted": true, "mutated_object": object})
}

#[test]
fn mutation_produces_a_base64_json_patch_when_allowed() {
    let options = EvalOptions {
        allowed_to_mutate: true,
        ..EvalOptions::default()
    };
    let e = echo_validate(mutated(), &options);
    assert!(e.allowed());
    assert_eq!(e.response.patch_type.as_deref(), Some("JSONPatch"));
    let expected = json!([{"op": "add", "path": "/metadata/labels", "value": {"team": "a"}}]);
    assert_eq!(e.patch, Some(expected.clone()));
    let raw = base64::engine::general_purpose::STANDARD
        .decode(e.response.patch.as_deref().expect("patch"))
        .expect("base64");
    assert_eq!(
        serde_json::from_slice::<Value>(&raw).expect("json"),
        expected
    );
}

#[test]
fn identical_mutated_object_gives_no_patch() {
    let options = EvalOptions {
        allowed_to_mutate: true,
        ..EvalOptions::default()
    };
    let e = echo_validate(
        json!({"accepted": true, "mutated_object": pod_request()["object"]}),
        &options,
    );
    assert!(e.allowed());
    assert!(e.response.patch.is_none() && e.response.patch_type.is_none() && e.patch.is_none());
}

#[test]
fn mutation_not_allowed_is_rejected_with_policy_id() {
    let options = EvalOptions {
        policy_id: Some("clusterwide-add-labels".to_owned()),
        ..EvalOptions::default()
    };
    let e = echo_validate(mutated(), &options);
    assert!(!e.allowed());
    assert!(e.response.patch.is_none() && e.patch.is_none());
    assert_eq!(
        e.message(),
        Some(not_allowed_to_mutate_message("clusterwide-add-labels").as_str())
    );
    assert_eq!(
        e.message(),
        Some(
            "Request rejected by policy clusterwide-add-labels. The policy attempted to mutate the request, but it is currently configured to not allow mutations."
        )
    );
    assert_eq!(e.code(), None);
}

#[test]
fn monitor_mode_accepts_and_drops_patch_and_status() {
    let options = EvalOptions {
        mode: PolicyMode::Monitor,
        ..EvalOptions::default()
    };
    let e = echo_validate(mutated(), &options);
    assert!(e.allowed());
    assert!(e.response.patch.is_none() && e.response.status.is_none());
    let e = echo_validate(json!({"accepted": false, "message": "no"}), &options);
    assert!(e.allowed());
    assert!(e.response.status.is_none());
}

#[test]
fn custom_message_replaces_rejection_and_keeps_the_original_as_cause() {
    let options = EvalOptions {
        custom_message: Some("denied by the platform team".to_owned()),
        ..EvalOptions::default()
    };
    let e = echo_validate(
        json!({"accepted": false, "message": "original", "code": 403}),
        &options,
    );
    let json: Value = serde_json::from_str(&e.response.to_json()).expect("json");
    assert_eq!(
        json["status"],
        json!({"message": "denied by the platform team", "details": {"causes": [{"message": "original"}]}, "code": 403})
    );
    // An accepted request is left alone.
    let e = echo_validate(json!({"accepted": true}), &options);
    assert!(e.response.status.is_none());
}

#[test]
fn mutation_of_a_delete_is_rejected() {
    let h = harness();
    let m = module(&h, "echo");
    let mut request = pod_request();
    request["operation"] = json!("DELETE");
    request["oldObject"] = request["object"].clone();
    request["object"] = Value::Null;
    let options = EvalOptions {
        allowed_to_mutate: true,
        ..EvalOptions::default()
    };
    let e = m.validate_with(&request, &json!(true), &options);
    // settings must be an object: a boolean is a harness error, not a policy verdict
    assert!(e.is_err());
    let e = m
        .validate_with(&request, &mutated(), &options)
        .expect("valid request");
    assert!(!e.allowed());
    assert_eq!(e.message(), Some(DELETE_MUTATION_MESSAGE));
    assert!(e.response.patch.is_none());
}

#[test]
fn guest_error_becomes_internal_server_error() {
    let h = harness();
    let m = module(&h, "error");
    let e = m
        .validate(&pod_request(), &json!({}))
        .expect("valid request");
    assert!(!e.allowed());
    assert_eq!(e.code(), Some(500));
    assert_eq!(
        e.message(),
        Some("internal server error: Guest call failure: boom: the policy failed")
    );
    assert_eq!(
        e.failure,
        Some(Failure::Guest {
            message: "boom: the policy failed".to_owned()
        })
    );
}

#[test]
fn guest_error_in_settings_validation_is_invalid_settings() {
    let h = harness();
    let m = module(&h, "error");
    let s = m.validate_settings(&json!({"a": 1})).expect("object");
    assert!(!s.valid);
    assert_eq!(
        s.message.as_deref(),
        Some(
            r#"Error invoking settings validation callback: GuestCallFailure("boom: the policy failed")"#
        )
    );
}

#[test]
fn trap_in_wapc_init_is_a_500_with_the_trap_text() {
    let h = harness();
    let m = module(&h, "trap_init");
    let e = m
        .validate(&pod_request(), &json!({}))
        .expect("valid request");
    assert!(!e.allowed());
    assert_eq!(e.code(), Some(500));
    let message = e.message().expect("message");
    assert!(
        message.starts_with("internal server error: Guest call failure: wasm trap:"),
        "{message}"
    );
    assert!(message.contains("unreachable"), "{message}");
    assert!(matches!(e.failure, Some(Failure::Trap { .. })));
}

#[test]
fn malformed_validation_response_is_a_500() {
    let h = harness();
    let m = module(&h, "malformed");
    let e = m
        .validate(&pod_request(), &json!({}))
        .expect("valid request");
    assert!(!e.allowed());
    assert_eq!(e.code(), Some(500));
    assert_eq!(
        e.message(),
        Some(
            "internal server error: invalid response from policy: expected ident at line 1 column 2"
        )
    );
    let s = m.validate_settings(&Value::Null).expect("null is {}");
    assert!(!s.valid);
    let message = s.message.expect("message");
    assert!(
        message.starts_with("error: InvalidResponseWithError(Error("),
        "{message}"
    );
    assert!(m.protocol_version().is_err());
}

#[test]
fn response_missing_accepted_is_a_500() {
    let e = echo_validate(json!({"message": "no verdict"}), &EvalOptions::default());
    assert!(!e.allowed());
    assert_eq!(e.code(), Some(500));
    assert!(
        e.message()
            .expect("message")
            .contains("invalid response from policy: missing field `accepted`")
    );
}

#[test]
fn payloads_are_those_policy_server_sends() {
    let h = harness();
    let m = module(&h, "echo");
    let mut request = pod_request();
    request["options"] = Value::Null;
    request["namespace"] = Value::Null;
    request["somethingElse"] = json!(1);
    let request = host_test::normalize_request(request, "test").expect("valid");
    let payload = format!("{{\"request\":{request},\"settings\":{{}}}}");
    let outcome = m.call("echo", payload.as_bytes(), &EvalOptions::default());
    let echoed: Value = serde_json::from_slice(&outcome.result.expect("echo")).expect("json");
    assert!(echoed["request"].get("options").is_none());
    assert!(echoed["request"].get("namespace").is_none());
    assert!(echoed["request"].get("somethingElse").is_none());
    assert_eq!(echoed["settings"], json!({}));

    // validate_settings gets the settings object itself, `{}` for null
    let s = m.validate_settings(&Value::Null).expect("null");
    assert!(s.valid && s.message.is_none());
    let s = m
        .validate_settings(&json!({"frobnicate": true}))
        .expect("object");
    assert!(!s.valid);
    assert_eq!(
        s.message.as_deref(),
        Some("unknown settings key frobnicate")
    );
    assert!(m.validate_settings(&json!([1])).is_err());
}

#[test]
fn protocol_version_is_read_from_the_guest() {
    let h = harness();
    assert_eq!(module(&h, "echo").protocol_version().expect("v1"), "v1");
}

#[test]
fn wasi_imports_behave_like_policy_server_context() {
    let h = harness();
    let m = module(&h, "wasi");
    let e = m.validate(&pod_request(), &json!({})).expect("valid");
    assert!(e.allowed(), "{:?} {:?}", e.response, e.failure);
    let texts: Vec<(host_test::LogSource, &str)> =
        e.log.iter().map(|l| (l.source, l.text.as_str())).collect();
    assert!(
        texts.contains(&(host_test::LogSource::Stdout, "hello from stdout")),
        "{texts:?}"
    );
    assert!(
        texts.contains(&(host_test::LogSource::Stderr, "partial line on stderr")),
        "{texts:?}"
    );

    let outcome = m.call("exit", b"", &EvalOptions::default());
    assert_eq!(
        outcome.result,
        Err(Failure::Trap {
            message: "guest called proc_exit(3)".to_owned()
        })
    );
}

#[test]
fn out_of_bounds_guest_buffer_is_a_clear_error() {
    let h = harness();
    let m = module(&h, "oob");
    let e = m.validate(&pod_request(), &json!({})).expect("valid");
    assert!(!e.allowed());
    let message = e.message().expect("message");
    assert!(
        message.contains("guest passed an out-of-bounds buffer to __guest_response"),
        "{message}"
    );
}

#[test]
fn each_call_gets_a_fresh_instance_and_a_clean_log() {
    let h = harness();
    let m = module(&h, "hostcall");
    for _ in 0..3 {
        let outcome = m.call(
            "validate",
            b"kubewarden\ntracing\nlog\n{\"level\":\"info\",\"message\":\"hi\"}",
            &EvalOptions::default(),
        );
        assert!(outcome.result.is_ok());
        assert_eq!(outcome.log.len(), 2, "{:?}", outcome.log);
        assert_eq!(outcome.host_call_count, 1);
    }
}

#[test]
fn unannotated_module_is_not_runnable() {
    let h = harness();
    let m = module(&h, "echo");
    assert!(m.metadata().is_none());
    let e = m.check_runnable().expect_err("unannotated");
    assert!(
        e.to_string().contains("no io.kubewarden.metadata section"),
        "{e}"
    );
}

#[test]
fn module_without_guest_call_fails_to_evaluate_clearly() {
    let h = harness();
    let bytes = wat::parse_str(r#"(module (memory (export "memory") 1))"#).expect("wat");
    let m = h.load_module_bytes("empty", &bytes).expect("links");
    let e = m.validate(&pod_request(), &json!({})).expect("valid");
    assert!(!e.allowed());
    assert!(
        e.message()
            .expect("message")
            .contains("no usable '__guest_call' export")
    );
}

#[test]
fn module_importing_unknown_functions_fails_to_load() {
    let h = harness();
    let bytes =
        wat::parse_str(r#"(module (import "env" "magic" (func)) (memory (export "memory") 1))"#)
            .expect("wat");
    let e = h
        .load_module_bytes("magic", &bytes)
        .expect_err("cannot link");
    assert!(e.to_string().starts_with("cannot link module magic"), "{e}");
}

#[test]
fn harness_and_modules_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<host_test::Harness>();
    assert_send_sync::<host_test::PolicyModule>();
    let h = harness();
    let m = module(&h, "echo");
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let e = m
                    .validate(&pod_request(), &json!({"accepted": true}))
                    .expect("valid");
                assert!(e.allowed());
            });
        }
    });
}
