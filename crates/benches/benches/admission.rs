//! Criterion benchmarks of the in-process figures, for the typical request (a compliant
//! two-container Deployment, about 3 KB of JSON): per module of `dist/`, a fresh instance +
//! `validate` (as policy-server runs it) and `validate` alone in an initialised instance; the
//! native floor and the k8s-openapi variant. `make bench` runs this, then `bench-report`
//! reads the medians from criterion's output.
//!
//! `BENCH_DIST` overrides the module directory (default `dist/` of the workspace),
//! `BENCH_FILTER` keeps the modules whose id contains it.

use std::time::Duration;

use benches::{groups, native};
use std::hint::black_box;

use criterion::Criterion;

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1000))
        .sample_size(20)
        .without_plots()
        .configure_from_args()
}

fn admission(c: &mut Criterion) {
    let root = benches::workspace_root();
    let dist = std::env::var_os("BENCH_DIST")
        .map(Into::into)
        .unwrap_or_else(|| root.join("dist"));
    let filter = std::env::var("BENCH_FILTER").unwrap_or_default();
    let harness = benches::harness(true).expect("wasmtime engine");
    let bundle =
        benches::load_bundle(&root, &dist, &harness).expect("the bundle in dist/ (run make dist)");
    let request = benches::typical_request();

    let mut group = c.benchmark_group(groups::INSTANTIATE_VALIDATE);
    for m in bundle.iter().filter(|m| m.id.contains(&filter)) {
        let payload = m.payload(&request);
        m.instantiate_validate(&payload).expect("validate");
        group.bench_function(&m.id, |b| {
            b.iter(|| {
                m.instantiate_validate(black_box(&payload))
                    .expect("validate")
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group(groups::VALIDATE_ONLY);
    for m in bundle.iter().filter(|m| m.id.contains(&filter)) {
        let payload = m.payload(&request);
        let mut session = m.module.session().expect("instance");
        session.call("validate", &payload).expect("validate");
        group.bench_function(&m.id, |b| {
            b.iter(|| {
                session
                    .call("validate", black_box(&payload))
                    .expect("validate")
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group(groups::NATIVE);
    for m in bundle.iter().filter(|m| m.id.contains(&filter)) {
        let Some(n) = native::native(&m.id) else {
            continue;
        };
        let payload = m.payload(&request);
        group.bench_function(&m.id, |b| {
            b.iter(|| (n.validate)(black_box(&payload)).expect("validate"))
        });
    }
    group.finish();

    let mut group = c.benchmark_group(groups::OPENAPI);
    if let Some(m) = bundle.iter().find(|m| m.id == "no-privileged-containers") {
        let payload = m.payload(&request);
        group.bench_function(&m.id, |b| {
            b.iter(|| native::openapi_no_privileged(black_box(&payload)).expect("validate"))
        });
    }
    group.finish();
}

fn main() {
    let mut c = config();
    admission(&mut c);
    c.final_summary();
}
