//! Runaway guests end with a clear error within their limits: deadline, fuel, memory cap,
//! and a guest flooding the host with calls.

mod common;

use std::time::{Duration, Instant};

use common::{harness, module, pod_request, quick_harness};
use host_test::{EvalOptions, Failure, Limits, TIMEOUT_MESSAGE};
use serde_json::json;

#[test]
fn infinite_loop_ends_with_the_timeout_error_within_the_deadline() {
    let h = quick_harness(Duration::from_millis(300));
    let m = module(&h, "loop");
    let started = Instant::now();
    let e = m.validate(&pod_request(), &json!({})).expect("valid");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert!(!e.allowed());
    assert_eq!(e.code(), Some(500));
    assert_eq!(e.message(), Some(TIMEOUT_MESSAGE));
    assert_eq!(
        e.message(),
        Some("Policy execution interrupted because it exceeded the allowed execution time")
    );
    assert!(matches!(e.failure, Some(Failure::Timeout { .. })));

    // The same module, settings validation: policy-server's wording for a waPC error.
    let s = m.validate_settings(&json!({})).expect("object");
    assert!(!s.valid);
    assert_eq!(
        s.message.as_deref(),
        Some(
            r#"Error invoking settings validation callback: GuestCallFailure("guest code interrupted, execution deadline exceeded")"#
        )
    );
}

#[test]
fn default_deadline_is_two_seconds() {
    assert_eq!(Limits::default().timeout, Duration::from_secs(2));
    let h = harness();
    let m = module(&h, "loop");
    let started = Instant::now();
    let outcome = m.call("validate", b"{}", &EvalOptions::default());
    let elapsed = started.elapsed();
    assert!(matches!(outcome.result, Err(Failure::Timeout { .. })));
    assert!(
        elapsed >= Duration::from_millis(1900) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
}

#[test]
fn fuel_budget_stops_a_loop_before_the_deadline() {
    let h = harness()
        .with_limits(Limits {
            timeout: Duration::from_secs(30),
            fuel: Some(5_000_000),
            ..Limits::default()
        })
        .expect("engine");
    let m = module(&h, "loop");
    let started = Instant::now();
    let e = m.validate(&pod_request(), &json!({})).expect("valid");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(e.failure, Some(Failure::Fuel { budget: 5_000_000 }));
    assert_eq!(
        e.message(),
        Some("internal server error: Guest call failure: exceeded fuel budget of 5000000")
    );
    assert!(e.fuel_consumed >= 4_900_000, "{}", e.fuel_consumed);
}

#[test]
fn unbounded_memory_growth_hits_the_cap() {
    let h = harness()
        .with_limits(Limits {
            memory_bytes: 16 * 1024 * 1024,
            ..Limits::default()
        })
        .expect("engine");
    let m = module(&h, "grow");
    let started = Instant::now();
    let e = m.validate(&pod_request(), &json!({})).expect("valid");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(!e.allowed());
    assert_eq!(e.code(), Some(500));
    let message = e.message().expect("message");
    assert!(
        message.starts_with(
            "internal server error: Guest call failure: exceeded memory cap of 16 MiB"
        ),
        "{message}"
    );
    assert!(matches!(e.failure, Some(Failure::Memory(_))));
}

#[test]
fn memory_cap_applies_at_instantiation() {
    let h = harness()
        .with_limits(Limits {
            memory_bytes: 64 * 1024,
            ..Limits::default()
        })
        .expect("engine");
    let bytes = wat::parse_str(
        r#"(module (memory (export "memory") 4)
             (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))"#,
    )
    .expect("wat");
    let m = h.load_module_bytes("big", &bytes).expect("links");
    let outcome = m.call("validate", b"{}", &EvalOptions::default());
    match outcome.result {
        Err(Failure::Memory(e)) => assert_eq!(
            e.to_string(),
            "exceeded memory cap of 64 KiB (linear memory would grow to 256 KiB)"
        ),
        other => panic!("expected the memory cap, got {other:?}"),
    }
}

#[test]
fn flooding_host_calls_is_bounded_by_the_deadline() {
    let h = quick_harness(Duration::from_millis(500));
    let m = module(&h, "flood");
    let started = Instant::now();
    let outcome = m.call("validate", b"{}", &EvalOptions::default());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(
            outcome.result,
            Err(Failure::Timeout { .. }) | Err(Failure::Fuel { .. })
        ),
        "{:?}",
        outcome.result
    );
    assert!(outcome.host_call_count > 1000);
    assert!(outcome.host_calls.len() <= host_test::state::MAX_HOST_CALL_RECORDS);
    // The log is capped and says so.
    let bytes: usize = outcome.log.iter().map(|l| l.text.len()).sum();
    assert!(bytes <= host_test::state::MAX_LOG_BYTES + 200);
    assert!(
        outcome
            .log
            .last()
            .is_some_and(|l| l.text.contains("further log lines dropped"))
    );
}

#[test]
fn a_module_is_usable_after_it_timed_out() {
    let h = quick_harness(Duration::from_millis(100));
    let looping = module(&h, "loop");
    let echo = module(&h, "echo");
    let e = looping.validate(&pod_request(), &json!({})).expect("valid");
    assert_eq!(e.message(), Some(TIMEOUT_MESSAGE));
    let e = echo
        .validate(&pod_request(), &json!({"accepted": true}))
        .expect("valid");
    assert!(e.allowed());
}

#[test]
fn pooling_allocator_runs_modules_and_enforces_the_cap() {
    let h = host_test::Harness::new(host_test::HarnessConfig {
        pooling: true,
        limits: Limits {
            memory_bytes: 8 * 1024 * 1024,
            ..Limits::default()
        },
        ..host_test::HarnessConfig::default()
    })
    .expect("pooling engine");
    let echo = common::module(&h, "echo");
    for _ in 0..3 {
        let e = echo
            .validate(&pod_request(), &json!({"accepted": true}))
            .expect("valid");
        assert!(e.allowed());
    }
    let grow = common::module(&h, "grow");
    let e = grow.validate(&pod_request(), &json!({})).expect("valid");
    assert!(
        matches!(e.failure, Some(Failure::Memory(_))),
        "{:?}",
        e.failure
    );
}
