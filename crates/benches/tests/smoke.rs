//! Cheap checks that the benchmark code paths work and measure what they claim: the fixtures
//! are what the rules expect, the native floor, the k8s-openapi variant, the fresh-instance
//! call and the long-lived session all give the same verdicts. Timing is never asserted.

use std::time::Duration;

use benches::native;
use serde_json::{Value, json};

fn privileged_request() -> Value {
    let mut object = benches::deployment(2);
    object["spec"]["template"]["spec"]["containers"][1]["securityContext"]["privileged"] =
        json!(true);
    benches::deployment_request(object)
}

fn verdict(answer: &[u8]) -> (bool, String) {
    let v: Value = serde_json::from_slice(answer).expect("answer is JSON");
    (
        v["accepted"].as_bool().expect("accepted"),
        v["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[test]
fn typical_request_is_about_3_kb() {
    let bytes = benches::typical_request().to_string().len();
    assert!((2500..=4500).contains(&bytes), "{bytes} bytes");
    let padded = benches::deployment_request(benches::padded_deployment(1_000_000));
    let bytes = padded.to_string().len();
    assert!((990_000..=1_010_000).contains(&bytes), "{bytes} bytes");
}

#[test]
fn native_floor_and_openapi_variant_agree() {
    let n = native::native("no-privileged-containers").expect("native variant");
    let settings = json!({});
    for (request, accepted) in [
        (benches::typical_request(), true),
        (privileged_request(), false),
    ] {
        let payload = benches::payload(&request, &settings);
        let (ours, message) = verdict(&(n.validate)(&payload).expect("native"));
        let (theirs, their_message) =
            verdict(&native::openapi_no_privileged(&payload).expect("openapi"));
        assert_eq!(ours, accepted, "{message}");
        assert_eq!(theirs, accepted, "{their_message}");
        if !accepted {
            let path = "container \"sidecar-1\" (spec.template.spec.containers[1]) sets securityContext.privileged=true";
            assert!(message.contains(path), "{message}");
            assert!(their_message.contains(path), "{their_message}");
        }
    }
}

#[test]
fn summary_is_median_and_nearest_rank_p99() {
    let samples: Vec<Duration> = (1..=200).map(Duration::from_micros).collect();
    let s = benches::summarize(samples);
    assert_eq!(s.median, Duration::from_micros(100));
    assert_eq!(s.p99, Duration::from_micros(198));
    assert_eq!(benches::summarize(Vec::new()).median, Duration::ZERO);
}

#[test]
fn wasm_paths_match_the_native_floor() {
    let root = benches::workspace_root();
    let dist = root.join("dist");
    assert!(
        dist.join("no-privileged-containers.wasm").is_file(),
        "dist/ has no modules: run make dist first"
    );
    let harness = benches::harness(true).expect("engine");
    let module = harness
        .load_module(dist.join("no-privileged-containers.wasm"))
        .expect("module");
    let (settings, _) =
        benches::settings_for(&root, &module, "no-privileged-containers").expect("settings");
    let m = benches::BenchModule {
        id: "no-privileged-containers".to_owned(),
        module,
        settings,
        settings_source: String::new(),
        raw_size: None,
        cargo_size: None,
    };
    let n = native::native("no-privileged-containers").expect("native");
    let mut session = m.module.session().expect("session");
    for request in [benches::typical_request(), privileged_request()] {
        let payload = m.payload(&request);
        let fresh = verdict(&m.instantiate_validate(&payload).expect("fresh instance"));
        let native = verdict(&(n.validate)(&payload).expect("native"));
        assert_eq!(fresh, native);
        // The same instance answers repeated calls identically.
        for _ in 0..3 {
            let again = verdict(&session.call("validate", &payload).expect("session"));
            assert_eq!(again, native);
        }
    }
}

/// The modules allocate from a per-call arena in their static memory
/// (`policy_helpers::arena`) that is whole again when a call's last allocation is freed. One
/// instance serving many calls (as `kwctl bench` runs a module) must therefore never grow its
/// memory for requests that fit the arena: if the arena stopped being reset, the calls would
/// fill it and spill into std's allocator, which grows the memory.
#[test]
fn one_instance_serves_many_calls_without_growing_its_memory() {
    let root = benches::workspace_root();
    let harness = benches::harness(false).expect("engine");
    let module = harness
        .load_module(root.join("dist/no-privileged-containers.wasm"))
        .expect("module (run make dist first)");
    let mut session = module.session().expect("session");
    let initial = session.memory_bytes();
    assert!(initial > 0);
    // The typical request, and one whose object carries 60 KB of annotation text (the
    // payload and everything decoded from it still fit the 256 KiB arena).
    let mut large = benches::typical_request();
    large["object"]["metadata"]["annotations"]["example.com/blob"] =
        Value::String("x".repeat(60_000));
    for request in [benches::typical_request(), large] {
        let payload = serde_json::to_vec(&serde_json::json!({"request": request, "settings": {}}))
            .expect("payload");
        for _ in 0..300 {
            let answer = session.call("validate", &payload).expect("validate");
            assert!(verdict(&answer).0, "{}", String::from_utf8_lossy(&answer));
        }
        assert_eq!(
            session.memory_bytes(),
            initial,
            "memory grew over the calls"
        );
    }
}

/// Size is deterministic, so it may fail a test. The median target (at most 120 KB) is
/// met since session 13 and is the median ceiling; the per-module target (at most 148 KB) is
/// not met by the eight largest modules (BENCHMARKS.md says why), so that ceiling is the size
/// reached (largest 181,974 bytes, median 119,470 on 2026-12-08 after session 13's direct
/// decoding, float parser and smaller base, rustc 1.95, wasm-opt -Oz) plus a small margin: a
/// module that grows past them fails here. Lower them whenever the modules shrink.
const CEILING_EACH: u64 = 185_000;
const CEILING_MEDIAN: u64 = 120_000;

#[test]
fn shipped_modules_stay_under_the_size_ceilings() {
    let root = benches::workspace_root();
    let mut sizes: Vec<(u64, String)> = Vec::new();
    for entry in std::fs::read_dir(root.join("policies")).expect("policies/") {
        let id = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let path = benches::raw_module_path(&root, &id);
        let bytes = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run make dist first)", path.display()))
            .len();
        sizes.push((bytes, id));
    }
    assert!(sizes.len() >= 60, "only {} modules found", sizes.len());
    sizes.sort();
    let over: Vec<String> = sizes
        .iter()
        .filter(|(b, _)| *b > CEILING_EACH)
        .map(|(b, id)| format!("{id} ({b} bytes)"))
        .collect();
    assert!(over.is_empty(), "over {CEILING_EACH} bytes: {over:?}");
    let median = sizes[sizes.len() / 2].0;
    assert!(
        median <= CEILING_MEDIAN,
        "median module {median} bytes > {CEILING_MEDIAN}"
    );
}

/// `kwctl bench` output as kwctl 1.36 prints it (colours on), and with `--no-color`.
const KWCTL_OUTPUT: &str = "\u{1b}[1;32mvalidate\u{1b}[0m warming up for \u{1b}[0;97m1.00s\u{1b}[0m\n\
\u{1b}[1;32mvalidate\u{1b}[0m mean warm up execution time \u{1b}[0;97m299.29µs\u{1b}[0m running \u{1b}[0;97m5.0 thousand\u{1b}[0m iterations\n\
\u{1b}[1;32mvalidate\u{1b}[0m [5.0 thousand iterations in 1.71s with 100.0 samples]:\n\
\telapsed\t[\u{1b}[0;37mmin\u{1b}[0m \u{1b}[0;97mmean\u{1b}[0m \u{1b}[0;37mmax\u{1b}[0m]:\t[\u{1b}[0;37m80.16µs\u{1b}[0m \u{1b}[0;97m324.33µs\u{1b}[0m \u{1b}[0;37m2.48ms\u{1b}[0m] (sample data: med = 258.95µs, var = 110.62s², stddev = 332.59µs)\n";

#[test]
fn kwctl_output_parser_reads_the_median() {
    use benches::runners::{parse_duration, parse_kwctl_median};
    assert_eq!(
        parse_kwctl_median(KWCTL_OUTPUT).expect("median"),
        Duration::from_nanos(258_950)
    );
    let plain = "validate [1 thousand iterations in 1s with 50.0 samples]:\n\telapsed\t[min mean max]:\t[1.2ms 1.5ms 3ms] (sample data: med = 1.43ms, var = 1s², stddev = 2ms)\n";
    assert_eq!(
        parse_kwctl_median(plain).expect("median"),
        Duration::from_micros(1430)
    );
    assert_eq!(
        parse_duration("53.3us").expect("us"),
        Duration::from_nanos(53_300)
    );
    assert_eq!(
        parse_duration("870ns").expect("ns"),
        Duration::from_nanos(870)
    );
    assert_eq!(parse_duration("2s").expect("s"), Duration::from_secs(2));
    // A failed run (no summary) and an unknown unit are errors, never a zero.
    assert!(parse_kwctl_median("Error: cannot load policy\n").is_err());
    assert!(parse_duration("12 furlongs").is_err());
}

#[test]
fn wrk_output_parser_reads_rate_median_and_errors() {
    let out = "Running 10s test @ http://127.0.0.1:3300/validate/bench-floor\n  2 threads and 8 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency     1.90ms  500.00us  10.00ms   80.00%\n  Latency Distribution\n     50%    1.87ms\n     75%    2.10ms\n     90%    2.50ms\n     99%    4.00ms\n  42000 requests in 10.00s, 9.00MB read\n  Socket errors: connect 0, read 1, write 0, timeout 2\n  Non-2xx or 3xx responses: 4\nRequests/sec:   4200.12\nTransfer/sec:      0.90MB\n";
    let f = benches::runners::parse_wrk(out).expect("wrk");
    assert!((f.requests_per_second - 4200.12).abs() < 1e-6);
    assert_eq!(f.p50, Duration::from_micros(1870));
    assert_eq!(f.errors, 7);
    assert!(benches::runners::parse_wrk("unable to connect to 127.0.0.1:3300\n").is_err());
}

#[test]
fn floor_module_accepts_everything_and_answers_every_operation() {
    let harness = benches::harness(false).expect("engine");
    let bytes = benches::runners::floor_module(&harness).expect("floor module");
    let module = harness
        .load_module_bytes(benches::runners::FLOOR_ID, &bytes)
        .expect("loads");
    assert!(module.metadata().is_some(), "annotated");
    let layout = benches::runners::layout(&bytes).expect("layout");
    assert_eq!(layout.initial_pages, 1);
    assert_eq!((layout.data_segments, layout.passive_segments), (4, 0));
    assert!(layout.static_data);
    assert_eq!(layout.globals, 0);
    assert!(layout.start_functions.is_empty());
    assert_eq!(module.protocol_version().expect("protocol"), "v1");
    assert!(
        module
            .validate_settings(&json!({"any": 1}))
            .expect("settings")
            .valid
    );
    for request in [benches::typical_request(), privileged_request()] {
        let answer = module
            .call(
                "validate",
                &benches::payload(&request, &json!({})),
                &Default::default(),
            )
            .result
            .expect("answer");
        assert_eq!(verdict(&answer), (true, String::new()));
    }
}

#[test]
fn generated_blocks_are_replaced_in_place_or_added_once() {
    use benches::runners::replace_block;
    let doc = "# B\n\n## Where the time goes\n\nx\n";
    let block = "<!-- t:begin (generated) -->\none\n<!-- t:end -->\n";
    let added = replace_block(doc, "t", "## T", block);
    assert!(added.contains("## T\n\n<!-- t:begin"), "{added}");
    assert!(added.find("## T").unwrap() < added.find("## Where the time goes").unwrap());
    let again = replace_block(&added, "t", "## T", &block.replace("one", "two"));
    assert_eq!(again.matches("<!-- t:begin").count(), 1);
    assert!(again.contains("two") && !again.contains("one"), "{again}");
}
