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
        // As scan and render use it without parameters: policies that need a required
        // parameter are left out.
        let mut prof = prof.clone();
        prof.apply_parameters(&std::collections::BTreeMap::new())
            .unwrap();
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

/// The required site parameters of aks-baseline (`signatures`, `in-scope-node-pools`): the
/// profile holds no value for them, their policies are left out (with a note saying how to set
/// them) until they are set, and once set each module runs with the site's value, which it
/// accepts. `in-scope-node-pools` is a list parameter though the profile holds no value: `--param`
/// splits it at commas.
#[test]
fn a_required_parameter_leaves_its_policy_out_until_set() {
    let prof = profile::Profile::builtin("aks-baseline").unwrap();
    let required = [
        ("signatures", "verify-image-signatures"),
        ("in-scope-node-pools", "pci-scope-node-isolation"),
    ];
    for (name, _) in required {
        assert!(prof.parameters[name].required, "{name}");
        assert_eq!(prof.parameter_value(name), None, "{name}: no sample value");
    }
    let text = include_str!("../../../profiles/aks-baseline.yaml");
    for sample in ["myacr", "contoso", "- cde"] {
        assert!(
            !text.contains(sample),
            "aks-baseline holds the sample value {sample}"
        );
    }

    let mut unset = prof.clone();
    let applied = unset
        .apply_parameters(&std::collections::BTreeMap::new())
        .unwrap();
    let notes = applied.notes("aks-baseline");
    for (name, policy) in required {
        assert!(!unset.policies.iter().any(|e| e.id == policy), "{policy}");
        assert!(
            notes
                .iter()
                .any(|n| n.contains(&format!("{policy} is left out"))
                    && n.contains(&format!("--param {name}=VALUE or --values FILE"))),
            "{notes:?}"
        );
    }
    assert_eq!(unset.policies.len() + required.len(), prof.policies.len());

    let values = json!({"signatures": [{
        "images": ["site.azurecr.io/**"],
        "keyless": [{"issuer": "https://token.actions.githubusercontent.com",
                     "subject": "https://github.com/site/app/.github/workflows/release.yml@refs/heads/main"}],
    }]});
    let mut set = prof.clone();
    let given = set
        .parameter_values(
            &["in-scope-node-pools=npinscope01, npinscope02".to_owned()],
            Some(&values),
        )
        .unwrap();
    assert_eq!(
        given["in-scope-node-pools"],
        json!(["npinscope01", "npinscope02"])
    );
    let applied = set.apply_parameters(&given).unwrap();
    assert!(applied.left_out.is_empty());
    let harness = host_test::Harness::new(host_test::HarnessConfig::default()).unwrap();
    for (name, policy) in required {
        let entry = set
            .policies
            .iter()
            .find(|e| e.id == policy)
            .expect("the policy runs once the parameter is set");
        let settings = entry.settings.clone().unwrap();
        let key = &prof.parameters[name].settings[0].key;
        assert_eq!(settings[key], given[name], "{policy}");
        let module = harness
            .load_module(root().join(format!("dist/{policy}.wasm")))
            .unwrap();
        let outcome = module.validate_settings(&settings).unwrap();
        assert!(outcome.valid, "{policy}: {:?}", outcome.message);
    }
}
