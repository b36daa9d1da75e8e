//! `deploy/` is fresh, and `kubectl kustomize` of each overlay gives exactly what the renderer
//! gives for the same profile.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use bundle_tool::render::{self, Options};
use bundle_tool::{deploy, policy, profile};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sorted(mut docs: Vec<Value>) -> Vec<Value> {
    docs.sort_by_key(|d| format!("{}/{}", d["kind"], d["metadata"]["name"]));
    docs
}

fn kustomize(dir: &Path) -> Vec<Value> {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl is needed for this test (it is part of the machine image)");
    assert!(
        out.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|v: &Value| !v.is_null())
        .collect()
}

#[test]
fn deploy_is_fresh() {
    let root = root();
    let files = deploy::generate(&root, &Options::default()).unwrap();
    let problems = deploy::check(&root.join("deploy"), &files);
    assert!(
        problems.is_empty(),
        "deploy/ is stale (run `make deploy`):\n{}",
        problems.join("\n")
    );
}

#[test]
fn each_overlay_builds_to_the_rendered_profile() {
    let root = root();
    let policies = policy::discover(&root).unwrap();
    let opts = Options::default();
    let base = deploy::base_profile(&root, &policies).unwrap();
    assert_eq!(
        sorted(kustomize(&root.join("deploy/base"))),
        sorted(render::render(&base, &policies, &opts).unwrap()),
        "deploy/base"
    );
    let profiles = profile::discover(&root).unwrap();
    assert!(!profiles.is_empty());
    for mut prof in profiles {
        let listed = prof.policies.len();
        // As `bundle render --profile NAME` without parameters: the policies that need a
        // required site parameter are left out, and the overlay leaves them out too.
        let applied = prof.apply_parameters(&BTreeMap::new()).unwrap();
        let left_out: usize = applied.left_out.iter().map(|(_, _, p)| p.len()).sum();
        let built = sorted(kustomize(&root.join("deploy/overlays").join(&prof.name)));
        let rendered = sorted(render::render(&prof, &policies, &opts).unwrap());
        assert_eq!(built.len(), listed - left_out, "{}", prof.name);
        for (_, _, ids) in &applied.left_out {
            for id in ids {
                assert!(
                    !built
                        .iter()
                        .any(|d| d["metadata"]["name"].as_str() == Some(id.as_str())),
                    "{}: {id} needs a required parameter but is in the overlay",
                    prof.name
                );
            }
        }
        assert_eq!(
            built, rendered,
            "overlay {} differs from `bundle render --profile {}`",
            prof.name, prof.name
        );
    }
}
