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

/// Size is deterministic, so it may fail a test. The targets (every module at most
/// 250 KB, median at most 150 KB) are not met yet (BENCHMARKS.md says why); these ceilings
/// keep what has been reached from slipping: a module that grows past them fails here.
const CEILING_EACH: u64 = 400_000;
const CEILING_MEDIAN: u64 = 320_000;

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
