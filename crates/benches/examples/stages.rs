//! Where the native time of one evaluation goes, stage by stage, for the typical request
//! (`no-privileged-containers`, the same bytes the criterion benchmarks feed): reading the
//! payload with the request decoded in place, the object's metadata, the pod view, the whole
//! evaluation (all through the modules' reader, `policy_helpers::json`), and for scale an
//! ignore-only pass and a full `serde_json::Value` parse of the same payload by serde_json.
//! Figures go in BENCHMARKS.md ("Where the time goes").
//!
//! `cargo run --profile harness -p benches --example stages`

use std::hint::black_box;
use std::time::Instant;

use policy_helpers::pod::PodObject;
use policy_helpers::request::Request;
use serde::Deserialize;

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    request: Request<'a>,
}

/// Median over 7 rounds of the mean time of `iterations` calls, in microseconds.
fn time(iterations: u32, mut f: impl FnMut()) -> f64 {
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..iterations {
                f();
            }
            started.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[3]
}

fn main() {
    let request = benches::typical_request();
    let payload = benches::payload(&request, &serde_json::json!({}));
    let text = std::str::from_utf8(&payload).expect("UTF-8");
    let parsed: Payload = policy_helpers::json::from_str(text).expect("payload");
    let req = parsed.request;
    let native = benches::native::native("no-privileged-containers").expect("native variant");
    let n = 5000;

    println!("typical request: {} bytes of payload", payload.len());
    println!("| stage | µs |");
    println!("|---|---:|");
    let rows: [(&str, f64); 6] = [
        (
            "payload read, request decoded in place (`runtime::evaluate`)",
            time(n, || {
                let p: Payload = policy_helpers::json::from_str(black_box(text)).expect("payload");
                black_box(&p.request);
            }),
        ),
        (
            "object metadata (`Request::metadata`)",
            time(n, || {
                black_box(req.metadata().expect("metadata"));
            }),
        ),
        (
            "pod view (`PodObject::from_request`)",
            time(n, || {
                black_box(PodObject::from_request(&req).expect("pod"));
            }),
        ),
        (
            "whole evaluation, answer serialised (native floor)",
            time(n, || {
                black_box((native.validate)(black_box(&payload)).expect("validate"));
            }),
        ),
        (
            "for scale: one pass that only skips the payload (`IgnoredAny`)",
            time(n, || {
                let v: serde::de::IgnoredAny = serde_json::from_str(black_box(text)).expect("JSON");
                black_box(v);
            }),
        ),
        (
            "for scale: the payload parsed into a `serde_json::Value`",
            time(n, || {
                let v: serde_json::Value = serde_json::from_str(black_box(text)).expect("JSON");
                black_box(v);
            }),
        ),
    ];
    for (stage, micros) in rows {
        println!("| {stage} | {micros:.1} |");
    }
}
