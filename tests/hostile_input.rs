//! Hostile input, bounded cost: every built module gets objects of 1 MB, 10,000 containers,
//! deep nesting, invalid UTF-8, numbers where strings belong and duplicate keys. Each must end
//! in a clear answer (an admission response, or a guest error with a message: a rejection) and
//! never in a trap, a timeout or a memory-cap hit, within a 64 MiB memory cap and the default
//! 2 s deadline. The figures (worst case over all modules) are printed for RELIABILITY.md:
//! `cargo test --profile harness -p workspace-tests --test hostile_input -- --nocapture`.

use std::time::Duration;

use host_test::{EvalOptions, Failure, Limits, PolicyModule, normalize_request};
use serde_json::{Value, json};
use workspace_tests::{harness, modules};

const CAP_MIB: usize = 64;

fn container(i: usize) -> Value {
    json!({
        "name": format!("c{i}"),
        "image": "myacr.azurecr.io/shop/web:1.0",
        "securityContext": {
            "allowPrivilegeEscalation": false, "runAsNonRoot": true, "runAsUser": 1000,
            "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}
        },
        "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}, "requests": {"cpu": "50m", "memory": "32Mi"}}
    })
}

fn pod(spec: Value, meta: Value) -> Value {
    let mut metadata = json!({"name": "web", "namespace": "shop"});
    if let (Some(m), Some(extra)) = (metadata.as_object_mut(), meta.as_object()) {
        m.extend(extra.clone());
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec})
}

fn request(object: Value) -> Value {
    json!({
        "uid": "hostile",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "name": "web", "namespace": "shop", "operation": "CREATE",
        "userInfo": {"username": "mallory@contoso.com", "groups": ["developers"]},
        "object": object
    })
}

fn nested(depth: usize) -> Value {
    let mut v = json!("bottom");
    for _ in 0..depth {
        v = json!([v]);
    }
    v
}

/// The raw `validate` payloads, by name.
fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let payload = |req: Value| -> Vec<u8> {
        let req = normalize_request(req, "hostile").expect("a valid request");
        serde_json::to_vec(&json!({"request": req, "settings": {}})).expect("serialises")
    };
    let big_annotation = "x".repeat(1024 * 1024);
    let many: Vec<Value> = (0..10_000).map(container).collect();
    let numbers = pod(
        json!({"containers": [{"name": 7, "image": 42, "securityContext": {"privileged": "true", "capabilities": {"add": 1}}}]}),
        json!({"labels": {"app": 1}}),
    );
    let ok = String::from_utf8(payload(request(pod(
        json!({"containers": [container(0)]}),
        json!({}),
    ))))
    .expect("utf-8");
    // Invalid UTF-8 inside a string of an otherwise well-formed payload.
    let mut invalid_utf8 = ok.clone().into_bytes();
    let at = ok.find("\"web\"").expect("has the name") + 1;
    invalid_utf8[at] = 0xff;
    invalid_utf8[at + 1] = 0xfe;
    // Duplicate keys: privileged stated twice, true last.
    let duplicate = ok.replacen(
        "\"allowPrivilegeEscalation\":false",
        "\"privileged\":false,\"allowPrivilegeEscalation\":false,\"privileged\":true",
        1,
    );
    assert_ne!(duplicate, ok, "the duplicate-key payload was built");
    vec![
        (
            "1 MB object (one annotation of 1 MiB)",
            payload(request(pod(
                json!({"containers": [container(0)]}),
                json!({"annotations": {"big": big_annotation}}),
            ))),
        ),
        (
            "10,000 containers",
            payload(request(pod(json!({"containers": many}), json!({})))),
        ),
        (
            "nesting 10,000 deep in an unknown field",
            // Built as text: serde_json's own recursion limit would refuse to build it.
            {
                let base = String::from_utf8(payload(request(pod(
                    json!({"containers": [container(0)], "extra": "HOLE"}),
                    json!({}),
                ))))
                .expect("utf-8");
                let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
                base.replacen("\"HOLE\"", &deep, 1).into_bytes()
            },
        ),
        (
            "nesting 100 deep (within parser limits)",
            payload(request(pod(
                json!({"containers": [container(0)], "extra": nested(100)}),
                json!({}),
            ))),
        ),
        ("invalid UTF-8 in a string", invalid_utf8),
        ("numbers where strings belong", payload(request(numbers))),
        (
            "duplicate keys (privileged false then true)",
            duplicate.into_bytes(),
        ),
        ("not JSON at all", b"\x00\x01{{{".to_vec()),
    ]
}

#[derive(Default)]
struct Worst {
    elapsed: Duration,
    fuel: u64,
    accepted: usize,
    rejected: usize,
    guest_errors: usize,
}

fn answer(module: &PolicyModule, payload: &[u8]) -> (Result<bool, String>, Duration, u64) {
    let outcome = module.call("validate", payload, &EvalOptions::default());
    let verdict = match &outcome.result {
        Ok(bytes) => match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => match v.get("accepted").and_then(Value::as_bool) {
                Some(a) => Ok(a),
                None => Err(format!("response without `accepted`: {v}")),
            },
            Err(e) => Err(format!("response is not JSON: {e}")),
        },
        Err(Failure::Guest { message }) if !message.trim().is_empty() => {
            Err(format!("guest error: {message}"))
        }
        Err(other) => Err(format!("FAILED: {other}")),
    };
    (verdict, outcome.elapsed, outcome.fuel_consumed)
}

#[test]
fn hostile_inputs_end_in_a_clear_answer_with_bounded_cost() {
    let h = harness()
        .with_limits(Limits {
            memory_bytes: CAP_MIB * 1024 * 1024,
            // Metered, so the table can report the worst fuel (a hardware-independent cost).
            fuel: Some(host_test::limits::DEFAULT_FUEL),
            ..Limits::default()
        })
        .expect("engine");
    let modules = modules(&h);
    let inputs = inputs();
    let mut problems = Vec::new();
    println!(
        "| input | payload bytes | accepted | rejected | guest errors (rejections) | worst time | worst fuel |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, payload) in &inputs {
        let mut worst = Worst::default();
        for (id, module) in &modules {
            let (verdict, elapsed, fuel) = answer(module, payload);
            worst.elapsed = worst.elapsed.max(elapsed);
            worst.fuel = worst.fuel.max(fuel);
            match verdict {
                Ok(true) => worst.accepted += 1,
                Ok(false) => worst.rejected += 1,
                Err(e) if e.starts_with("guest error: ") => worst.guest_errors += 1,
                Err(e) => problems.push(format!("{id} / {name}: {e}")),
            }
            if name.starts_with("duplicate keys") && id == "no-privileged-containers" {
                // The API server never forwards duplicate keys (it decodes and re-encodes the
                // object), but if one did, the module must not let `privileged: true` through.
                let (verdict, _, _) = answer(module, payload);
                if verdict == Ok(true) {
                    problems.push(format!("{id} accepted a duplicate-key privileged=true"));
                }
            }
        }
        println!(
            "| {name} | {} | {} | {} | {} | {:.1} ms | {} |",
            payload.len(),
            worst.accepted,
            worst.rejected,
            worst.guest_errors,
            worst.elapsed.as_secs_f64() * 1000.0,
            worst.fuel
        );
    }
    println!("(over {} modules, memory cap {CAP_MIB} MiB)", modules.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
