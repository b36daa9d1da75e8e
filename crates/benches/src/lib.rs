//! Benchmarks of the policy bundle (`make bench`).
//!
//! The figures the issue "Performance" asks for, measured rather than asserted:
//!
//! - module sizes (bytes before annotation, from the release build),
//! - instantiate + validate per request, as policy-server does it (a fresh instance per call
//!   from a cached, compiled, pre-linked module, pooling allocator),
//! - `validate` alone inside an already-initialised instance ([`host_test::Session`]),
//! - the native floor: the same rule compiled for the host and fed the same bytes,
//! - the usual way: the whole object deserialised into k8s-openapi types, then the same check,
//! - scanner throughput, cold and warm start-up, and growth with object and bundle size.
//!
//! This crate holds what the criterion benchmarks (`benches/admission.rs`) and the report
//! (`bench-report`, which rewrites the tables of `BENCHMARKS.md`) share: the request fixtures,
//! the bundle as found in `dist/`, the native variants and the statistics.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use admission::{ClusterFixture, RequestDefaults, admission_request};
use anyhow::{Context, Result, bail};
use host_test::{EvalOptions, Harness, HarnessConfig, PolicyModule};
use serde_json::{Value, json};

pub mod native;
pub mod runners;

/// The workspace root (this crate lives in `crates/benches`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// One container of the typical workload: image from an approved registry, resources,
/// probes, a hardened security context, a few environment variables and mounts.
pub fn container(name: &str, index: usize) -> Value {
    json!({
        "name": name,
        "image": format!("myacr.azurecr.io/shop/{name}:1.4.{index}"),
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": 8080 + index, "protocol": "TCP"}],
        "env": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "DB_HOST", "valueFrom": {"configMapKeyRef": {"name": "shop-config", "key": "db-host"}}}
        ],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"}
        },
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080 + index}, "periodSeconds": 10},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080 + index}, "periodSeconds": 5},
        "securityContext": {
            "allowPrivilegeEscalation": false,
            "privileged": false,
            "readOnlyRootFilesystem": true,
            "runAsNonRoot": true,
            "runAsUser": 10001,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]
    })
}

/// A compliant Deployment in namespace `shop` with `containers` containers and one init
/// container (the typical workload: 2 containers, about 3 KB of request JSON).
pub fn deployment(containers: usize) -> Value {
    let list: Vec<Value> = (0..containers)
        .map(|i| {
            if i == 0 {
                container("web", i)
            } else {
                container(&format!("sidecar-{i}"), i)
            }
        })
        .collect();
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "uid": "6b3c5f7e-61a4-4a63-9f57-2f8f7c1f0a01",
            "labels": {"app.kubernetes.io/name": "web", "app.kubernetes.io/part-of": "shop"},
            "annotations": {"deployment.kubernetes.io/revision": "3"}
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "web", "app.kubernetes.io/part-of": "shop"}},
                "spec": {
                    "serviceAccountName": "web",
                    "automountServiceAccountToken": false,
                    "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                    "initContainers": [container("migrate", 0)],
                    "containers": list,
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]
                }
            }
        }
    })
}

/// The typical Deployment padded with a `last-applied-configuration` annotation to about
/// `bytes` of JSON: a large object whose bulk no rule reads.
pub fn padded_deployment(bytes: usize) -> Value {
    let mut object = deployment(2);
    let current = object.to_string().len();
    let pad = "x".repeat(bytes.saturating_sub(current + 64));
    object["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
        Value::String(pad);
    object
}

/// The CREATE AdmissionRequest the API server sends for a Deployment `object`, built by the
/// admission layer as the scanner and the playground build theirs, sent by a user of the
/// team's group.
pub fn deployment_request(object: Value) -> Value {
    let defaults = RequestDefaults {
        namespace: "shop".to_owned(),
        username: "alice@example.com".to_owned(),
        groups: vec![
            "shop-deployers".to_owned(),
            "system:authenticated".to_owned(),
        ],
        uid_prefix: "bench".to_owned(),
    };
    admission_request(&object, 1, &defaults, &ClusterFixture::empty())
}

/// The `validate` payload policy-server sends: `{"request": ..., "settings": ...}`.
pub fn payload(request: &Value, settings: &Value) -> Vec<u8> {
    format!("{{\"request\":{request},\"settings\":{settings}}}").into_bytes()
}

/// The typical request: a compliant two-container Deployment.
pub fn typical_request() -> Value {
    deployment_request(deployment(2))
}

/// A module of the bundle, loaded and ready, with the settings it is measured with.
#[derive(Debug, Clone)]
pub struct BenchModule {
    /// Policy id (file stem in `dist/`).
    pub id: String,
    /// The compiled module.
    pub module: PolicyModule,
    /// Settings used for every evaluation.
    pub settings: Value,
    /// Where the settings came from.
    pub settings_source: String,
    /// Bytes of the module as shipped, before annotation (`target/wasm-opt/<id>.wasm`, the
    /// release build shrunk by `wasm-opt -Oz`), when found.
    pub raw_size: Option<u64>,
    /// Bytes of the release build as cargo writes it, when found.
    pub cargo_size: Option<u64>,
}

/// The harness with policy-server's engine settings (epoch interruption, no fuel) and compiled
/// modules cached; `pooling` selects the pooling allocator (the scanner's) instead of
/// on-demand allocation (policy-server's).
///
/// # Errors
/// When the engine cannot be created.
pub fn harness(pooling: bool) -> Result<Harness> {
    Ok(Harness::new(HarnessConfig {
        pooling,
        cache_dir: HarnessConfig::default_cache_dir(&workspace_root()),
        ..HarnessConfig::default()
    })?)
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// The release module of policy `id` as cargo writes it.
pub fn cargo_module_path(root: &Path, id: &str) -> PathBuf {
    target_dir(root)
        .join("wasm32-wasip1")
        .join("release")
        .join(format!("{}.wasm", id.replace('-', "_")))
}

/// The module of policy `id` as shipped, before annotation (`make optimize`).
pub fn raw_module_path(root: &Path, id: &str) -> PathBuf {
    target_dir(root).join("wasm-opt").join(format!("{id}.wasm"))
}

/// Every `settings` mapping in a cases file, in order (`defaults.settings` first).
fn case_settings(cases: &Path) -> Vec<Value> {
    let Ok(text) = std::fs::read_to_string(cases) else {
        return Vec::new();
    };
    let Ok(doc) = serde_yaml::from_str::<Value>(&text) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    if let Some(s) = doc.pointer("/defaults/settings") {
        found.push(s.clone());
    }
    if let Some(list) = doc.get("cases").and_then(Value::as_array) {
        found.extend(list.iter().filter_map(|c| c.get("settings").cloned()));
    }
    found.into_iter().filter(Value::is_object).collect()
}

/// The settings a module is measured with: `examples/settings/<id>.*` when present, else the
/// first settings of its `cases.yaml` the module accepts, else `{}`.
///
/// # Errors
/// When a settings file is unreadable.
pub fn settings_for(root: &Path, module: &PolicyModule, id: &str) -> Result<(Value, String)> {
    let examples = root.join("examples").join("settings");
    let from_examples = scanner::policies::read_settings(Some(&examples), id)?;
    let mut candidates = Vec::new();
    if from_examples.as_object().is_some_and(|m| !m.is_empty()) {
        candidates.push((from_examples, "examples/settings".to_owned()));
    }
    candidates.push((json!({}), "none ({})".to_owned()));
    let cases = root.join("policies").join(id).join("cases.yaml");
    candidates.extend(
        case_settings(&cases)
            .into_iter()
            .map(|s| (s, "cases.yaml".to_owned())),
    );
    for (settings, source) in &candidates {
        if module.validate_settings(settings)?.valid {
            return Ok((settings.clone(), source.clone()));
        }
    }
    bail!("no valid settings found for {id} (examples/settings, {{}} or its cases.yaml)")
}

/// Loads every module of `dist`, with its settings and raw size.
///
/// # Errors
/// When `dist` has no modules or one does not load.
pub fn load_bundle(root: &Path, dist: &Path, harness: &Harness) -> Result<Vec<BenchModule>> {
    let paths = scanner::policies::dist_modules(dist)?;
    let mut bundle = Vec::with_capacity(paths.len());
    for path in paths {
        let module = harness
            .load_module(&path)
            .with_context(|| format!("loading {}", path.display()))?;
        let id = module.name().to_owned();
        let (settings, settings_source) = settings_for(root, &module, &id)?;
        let size = |path: PathBuf| std::fs::metadata(path).ok().map(|m| m.len());
        let raw_size = size(raw_module_path(root, &id));
        let cargo_size = size(cargo_module_path(root, &id));
        bundle.push(BenchModule {
            id,
            module,
            settings,
            settings_source,
            raw_size,
            cargo_size,
        });
    }
    Ok(bundle)
}

/// What an answer said, read cheaply from the guest's JSON.
///
/// # Errors
/// When the bytes are not a validation response.
pub fn accepted(answer: &[u8]) -> Result<bool> {
    let v: Value = serde_json::from_slice(answer).context("answer is not JSON")?;
    v.get("accepted")
        .and_then(Value::as_bool)
        .context("answer has no accepted field")
}

impl BenchModule {
    /// The `validate` payload of `request` with this module's settings.
    pub fn payload(&self, request: &Value) -> Vec<u8> {
        payload(request, &self.settings)
    }

    /// One evaluation as policy-server runs it: fresh instance, `wapc_init`, `validate`.
    ///
    /// # Errors
    /// When the guest fails.
    pub fn instantiate_validate(&self, payload: &[u8]) -> Result<Vec<u8>> {
        let options = EvalOptions {
            policy_id: Some(self.id.clone()),
            ..EvalOptions::default()
        };
        self.module
            .call("validate", payload, &options)
            .result
            .map_err(|f| anyhow::anyhow!("{}: {f}", self.id))
    }
}

/// Median and 99th percentile of per-call timings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Median.
    pub median: Duration,
    /// 99th percentile (nearest rank).
    pub p99: Duration,
}

/// Median and p99 of `samples` (empty gives zeros).
pub fn summarize(mut samples: Vec<Duration>) -> Summary {
    if samples.is_empty() {
        return Summary {
            median: Duration::ZERO,
            p99: Duration::ZERO,
        };
    }
    samples.sort_unstable();
    let rank = |q: f64| {
        let i = ((samples.len() as f64) * q).ceil() as usize;
        samples[i.saturating_sub(1).min(samples.len() - 1)]
    };
    Summary {
        median: rank(0.5),
        p99: rank(0.99),
    }
}

/// Times `calls` runs of `f` one by one (after `warmup` untimed runs).
///
/// # Errors
/// The first error of `f`.
pub fn sample<T>(warmup: usize, calls: usize, mut f: impl FnMut() -> Result<T>) -> Result<Summary> {
    for _ in 0..warmup {
        std::hint::black_box(f()?);
    }
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        std::hint::black_box(f()?);
        samples.push(started.elapsed());
    }
    Ok(summarize(samples))
}

/// Criterion's median estimate (nanoseconds) of `group/id`, read from its output under `home`
/// (`$CRITERION_HOME`, by default `target/criterion`).
pub fn criterion_median(home: &Path, group: &str, id: &str) -> Option<f64> {
    let file = home.join(group).join(id).join("new").join("estimates.json");
    let text = std::fs::read_to_string(file).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v.pointer("/median/point_estimate").and_then(Value::as_f64)
}

/// Criterion group names shared by the benchmarks and the report.
pub mod groups {
    /// Fresh instance + `wapc_init` + `validate`, per module.
    pub const INSTANTIATE_VALIDATE: &str = "instantiate_validate";
    /// `validate` inside an initialised instance, per module.
    pub const VALIDATE_ONLY: &str = "validate_only";
    /// The rule compiled natively, same bytes.
    pub const NATIVE: &str = "native";
    /// The whole object deserialised into k8s-openapi types, then the same check.
    pub const OPENAPI: &str = "k8s_openapi";
}
