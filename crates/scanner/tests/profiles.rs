//! Every profile (and the settings of `deploy/base`) gives each of its modules settings that the
//! built module itself accepts: `validate_settings` of `dist/<id>.wasm`, as policy-server calls it
//! before serving a policy.

use std::path::{Path, PathBuf};

use bundle_tool::{deploy, policy, profile};
use serde_json::json;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn every_profile_entry_has_settings_its_module_accepts() {
    let root = root();
    let policies = policy::discover(&root).unwrap();
    let mut profiles = profile::discover(&root).unwrap();
    profiles.push(deploy::base_profile(&root, &policies).unwrap());
    for wanted in [
        "aks-baseline",
        "pci-dss",
        "pss-baseline",
        "pss-restricted",
        "base",
    ] {
        assert!(
            profiles.iter().any(|p| p.name == wanted),
            "profile {wanted} is missing"
        );
    }
    let harness = host_test::Harness::new(host_test::HarnessConfig::default()).unwrap();
    let mut problems = Vec::new();
    for prof in &profiles {
        if let Err(e) = prof.check(&policies) {
            problems.push(format!("{}: {e}", prof.name));
            continue;
        }
        for e in &prof.policies {
            let file = root.join("dist").join(format!("{}.wasm", e.id));
            assert!(
                file.is_file(),
                "{} is missing: run `make dist` first",
                file.display()
            );
            let module = harness.load_module(&file).unwrap();
            let settings = e.settings.clone().unwrap_or_else(|| json!({}));
            let outcome = module.validate_settings(&settings).unwrap();
            if !outcome.valid {
                problems.push(format!(
                    "{}: {} refuses its settings {settings}: {}",
                    prof.name,
                    e.id,
                    outcome.message.unwrap_or_default()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
