//! The playground and the `.wasm` modules agree on every policy case: for each case of every
//! `policies/<id>/cases.yaml`, the module in `dist/<id>.wasm` runs under host-test (the engine's
//! behaviour) and the playground's linked-in copy of the same rule runs natively, host calls
//! answered from the same cluster fixture with the same grants; settings validity, verdict,
//! message and code must be equal. Needs `make dist` first (`make test-playground` does it).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use host_test::callbacks::{HostContext, answer};
use host_test::{ClusterFixture, EvalOptions, Harness, HarnessConfig, discover, load_suite};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_policy_of_the_repository_is_in_the_registry() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(root().join("policies"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let linked: BTreeSet<String> = playground::registry::MODULES
        .iter()
        .map(|m| m.id.to_owned())
        .collect();
    assert_eq!(
        on_disk, linked,
        "playground/src/registry.rs is stale: run playground/gen-registry.sh (make playground)"
    );
    let status = std::process::Command::new("bash")
        .arg(root().join("playground/gen-registry.sh"))
        .arg("--check")
        .status()
        .unwrap();
    assert!(status.success(), "gen-registry.sh --check failed");
}

#[test]
fn the_playground_and_the_modules_agree_on_every_case() {
    let dist = std::env::var_os("PLAYGROUND_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("dist"));
    let harness = Harness::new(HarnessConfig::default()).unwrap();
    let suites = discover(&root(), &dist, &[]).unwrap();
    assert!(!suites.is_empty(), "no policy suites found");
    let (mut compared, mut mismatches) = (0usize, Vec::new());
    for ps in &suites {
        assert!(
            ps.module.is_file(),
            "{} is missing: run `make dist` first",
            ps.module.display()
        );
        let wasm = harness.load_module(&ps.module).unwrap();
        let native = playground::module(&ps.id)
            .unwrap_or_else(|| panic!("{} is not in the playground registry", ps.id));
        let suite = load_suite(&ps.suite).unwrap();
        let dir = ps.suite.parent().unwrap().to_owned();
        for case in &suite.cases {
            let label = format!("{} / {}", ps.id, case.name);
            let settings = case
                .settings
                .clone()
                .or_else(|| suite.defaults.settings.clone())
                .filter(|s| !s.is_null())
                .unwrap_or_else(|| serde_json::json!({}));
            let cluster = case
                .cluster
                .as_ref()
                .or(suite.defaults.cluster.as_ref())
                .map(|p| Arc::new(ClusterFixture::load(dir.join(p)).unwrap()));
            let grants = case
                .context_aware_resources
                .clone()
                .or_else(|| suite.defaults.context_aware_resources.clone());
            let host_capabilities = case
                .host_capabilities
                .clone()
                .or_else(|| suite.defaults.host_capabilities.clone())
                .unwrap_or_else(|| vec!["*".to_owned()]);
            let options = EvalOptions {
                policy_id: Some(ps.id.clone()),
                host_capabilities: host_capabilities.clone(),
                context_aware_resources: grants.clone(),
                cluster: cluster.clone(),
                ..EvalOptions::default()
            };

            let module_settings = wasm.validate_settings_with(&settings, &options).unwrap();
            let native_settings = (native.check_settings)(&settings.to_string());
            compared += 1;
            if module_settings.valid != native_settings.is_ok() {
                mismatches.push(format!(
                    "{label}: settings valid: module {} ({:?}), playground {:?}",
                    module_settings.valid, module_settings.message, native_settings
                ));
                continue;
            }
            if let (Some(m), Err(n)) = (&module_settings.message, &native_settings)
                && !m.contains(n.as_str())
            {
                mismatches.push(format!(
                    "{label}: settings message: module {m:?}, playground {n:?}"
                ));
            }
            if !module_settings.valid {
                continue;
            }
            let Some(request_path) = &case.request else {
                continue;
            };
            let request = host_test::load_request(dir.join(request_path)).unwrap();
            let request = host_test::normalize_request(request.clone(), "value").unwrap_or(request);
            let evaluation = wasm.validate_with(&request, &settings, &options).unwrap();

            let context = HostContext {
                policy_id: ps.id.clone(),
                host_capabilities,
                context_aware_resources: grants
                    .unwrap_or_else(|| {
                        wasm.metadata()
                            .map(|m| m.context_aware_resources.clone())
                            .unwrap_or_default()
                    })
                    .into_iter()
                    .collect(),
                cluster: cluster.unwrap_or_else(|| Arc::new(ClusterFixture::empty())),
                hidden_object: None,
            };
            policy_helpers::host::set_handler(Some(Box::new(move |ns, op, payload| {
                answer(&context, ns, op, payload)
            })));
            let mine = playground::validate(native, &request, &settings);
            policy_helpers::host::set_handler(None);

            let theirs = evaluation
                .policy_response
                .as_ref()
                .map(|r| (r.accepted, r.message.clone(), r.code));
            let mine = mine.ok().map(|r| (r.accepted, r.message, r.code));
            compared += 1;
            if theirs != mine {
                mismatches.push(format!("{label}: module {theirs:?}, playground {mine:?}"));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {compared} comparisons differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    eprintln!(
        "{compared} comparisons over {} policies agree",
        suites.len()
    );
}
