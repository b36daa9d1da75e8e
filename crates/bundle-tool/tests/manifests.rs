//! Rendered manifests against the Kubewarden CRD types (the SDK's, whose specs refuse unknown
//! fields) and against the modules' metadata.

use std::path::{Path, PathBuf};

use bundle_tool::policy::{self, Policy};
use bundle_tool::profile::{self, Profile};
use bundle_tool::render::{self, Options};
use kubewarden_policy_sdk::crd::policies::{ClusterAdmissionPolicy, ClusterAdmissionPolicyGroup};
use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The spec fields of a PolicyServer (policies.kubewarden.io/v1).
const POLICY_SERVER_FIELDS: &[&str] = &[
    "image",
    "replicas",
    "minAvailable",
    "maxUnavailable",
    "annotations",
    "labels",
    "env",
    "serviceAccountName",
    "imagePullSecret",
    "insecureSources",
    "sourceAuthorities",
    "verificationConfig",
    "sigstoreTrustConfig",
    "securityContexts",
    "affinity",
    "limits",
    "requests",
    "tolerations",
    "priorityClassName",
    "namespacedPoliciesCapabilities",
    "webhookPort",
    "readinessProbePort",
    "metricsPort",
];

fn profiles_with_base() -> (Vec<Policy>, Vec<Profile>) {
    let root = root();
    let policies = policy::discover(&root).unwrap();
    let mut profiles = profile::discover(&root).unwrap();
    profiles.push(bundle_tool::deploy::base_profile(&root, &policies).unwrap());
    (policies, profiles)
}

/// Checks one rendered document; returns the problems.
fn check_doc(doc: &Value, policies: &[Policy], opts: &Options) -> Vec<String> {
    let mut problems = Vec::new();
    let name = doc["metadata"]["name"].as_str().unwrap_or("?").to_string();
    match doc["kind"].as_str() {
        Some("ClusterAdmissionPolicy") => {
            if let Err(e) = serde_json::from_value::<ClusterAdmissionPolicy>(doc.clone()) {
                problems.push(format!("{name}: not a valid ClusterAdmissionPolicy: {e}"));
            }
            let Some(p) = policies.iter().find(|p| p.id == name) else {
                return vec![format!("{name}: no such policy")];
            };
            let spec = &doc["spec"];
            if spec["module"] != json!(render::module_ref(&opts.registry, p)) {
                problems.push(format!(
                    "{name}: module {} does not carry version {}",
                    spec["module"], p.version
                ));
            }
            if spec["rules"] != json!(p.metadata.rules) {
                problems.push(format!("{name}: rules differ from metadata.yml"));
            }
            if spec["mutating"] == json!(true) && !p.metadata.mutating {
                problems.push(format!(
                    "{name}: mutating but the module's metadata says it does not mutate"
                ));
            }
            if spec["backgroundAudit"] != json!(p.metadata.background_audit) {
                problems.push(format!("{name}: backgroundAudit differs from metadata.yml"));
            }
            // A policy whose objects live in the system namespaces is never fenced out of
            // them (coredns-query-logging guards kube-system/coredns-custom).
            if p.includes_system_namespaces() && spec.get("namespaceSelector").is_some() {
                problems.push(format!(
                    "{name}: its metadata includes the system namespaces, but it has a namespaceSelector"
                ));
            }
            let car: Vec<Value> = p
                .metadata
                .context_aware_resources
                .iter()
                .map(|r| json!({"apiVersion": r.api_version, "kind": r.kind}))
                .collect();
            let got = spec
                .get("contextAwareResources")
                .cloned()
                .unwrap_or(json!([]));
            if got != json!(car) {
                problems.push(format!(
                    "{name}: contextAwareResources {got} differ from metadata.yml"
                ));
            }
            if spec["failurePolicy"] != json!("Fail") {
                problems.push(format!("{name}: failurePolicy is not Fail by default"));
            }
        }
        Some("ClusterAdmissionPolicyGroup") => {
            if let Err(e) = serde_json::from_value::<ClusterAdmissionPolicyGroup>(doc.clone()) {
                problems.push(format!(
                    "{name}: not a valid ClusterAdmissionPolicyGroup: {e}"
                ));
            }
            let members = doc["spec"]["policies"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (member, m) in &members {
                let Some(p) = policies
                    .iter()
                    .find(|p| render::member_name(&p.id) == *member)
                else {
                    problems.push(format!("{name}: member {member} is no policy"));
                    continue;
                };
                if m["module"] != json!(render::module_ref(&opts.registry, p)) {
                    problems.push(format!("{name}: member {member} module {}", m["module"]));
                }
                for rule in &p.metadata.rules {
                    if !doc["spec"]["rules"]
                        .as_array()
                        .is_some_and(|r| r.contains(rule))
                    {
                        problems.push(format!("{name}: rules miss a rule of {member}"));
                    }
                }
                let expr = doc["spec"]["expression"].as_str().unwrap_or_default();
                if !expr.contains(&format!("{member}()")) {
                    problems.push(format!("{name}: expression does not call {member}()"));
                }
            }
        }
        Some("PolicyServer") => {
            for k in doc["spec"]
                .as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
            {
                if !POLICY_SERVER_FIELDS.contains(&k.as_str()) {
                    problems.push(format!("{name}: PolicyServer has no spec field {k}"));
                }
            }
        }
        Some("ConfigMap") => {
            // The policy-server verification config (Kubewarden's format, apiVersion v1).
            let text = doc["data"]["verification-config"]
                .as_str()
                .unwrap_or_default();
            match serde_yaml::from_str::<Value>(text) {
                Ok(cfg) => {
                    if cfg["apiVersion"] != "v1" || cfg["allOf"][0]["kind"] != "pubKey" {
                        problems.push(format!("{name}: not a pubKey verification config: {cfg}"));
                    }
                    let key = cfg["allOf"][0]["key"].as_str().unwrap_or_default();
                    if !key.starts_with("-----BEGIN PUBLIC KEY-----") {
                        problems.push(format!("{name}: the config's key is not a PEM public key"));
                    }
                }
                Err(e) => problems.push(format!("{name}: verification-config is not YAML: {e}")),
            }
            if doc["metadata"]["namespace"] != render::KUBEWARDEN_NAMESPACE {
                problems.push(format!("{name}: not in the kubewarden namespace"));
            }
        }
        other => problems.push(format!("{name}: unexpected kind {other:?}")),
    }
    problems
}

#[test]
fn every_profile_renders_into_valid_manifests_that_agree_with_the_metadata() {
    let (policies, profiles) = profiles_with_base();
    assert!(profiles.len() >= 2, "expected profiles under profiles/");
    // The policies whose objects live in kube-system say so (the selector check below).
    for id in ["coredns-query-logging", "protect-security-tooling"] {
        let p = policies.iter().find(|p| p.id == id).expect(id);
        assert!(p.includes_system_namespaces(), "{id}");
    }
    let opts = Options {
        policy_server_image: Some("example.org/kubewarden/policy-server:v1.33.0".into()),
        policy_server: "aks".into(),
        ..Options::default()
    };
    let mut problems = Vec::new();
    for prof in &profiles {
        let docs = render::render(prof, &policies, &opts)
            .unwrap_or_else(|e| panic!("{}: {e:#}", prof.name));
        assert_eq!(docs.len(), prof.policies.len() + 1, "{}", prof.name);
        for d in &docs {
            problems.extend(
                check_doc(d, &policies, &opts)
                    .into_iter()
                    .map(|p| format!("{}: {p}", prof.name)),
            );
        }
        // A group where the profile allows one (one mode, nothing mutating).
        let group = Options {
            group: true,
            ..opts.clone()
        };
        if let Ok(docs) = render::render(prof, &policies, &group) {
            for d in &docs {
                problems.extend(
                    check_doc(d, &policies, &group)
                        .into_iter()
                        .map(|p| format!("{} (group): {p}", prof.name)),
                );
            }
        }
        // The YAML text parses back to the same documents.
        let text = render::to_yaml(&docs).unwrap();
        let back: Vec<Value> = serde_yaml::Deserializer::from_str(&text)
            .map(|d| serde::Deserialize::deserialize(d).unwrap())
            .collect();
        assert_eq!(back, docs, "{}", prof.name);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_fails_on_an_unknown_field_and_on_disagreement() {
    let (policies, profiles) = profiles_with_base();
    let opts = Options::default();
    let mut doc = render::render(&profiles[0], &policies, &opts)
        .unwrap()
        .remove(0);
    assert!(check_doc(&doc, &policies, &opts).is_empty());
    doc["spec"]["timeoutSecond"] = json!(3);
    let p = check_doc(&doc, &policies, &opts);
    assert!(
        p.iter()
            .any(|p| p.contains("not a valid ClusterAdmissionPolicy")),
        "{p:?}"
    );
    doc["spec"].as_object_mut().unwrap().remove("timeoutSecond");
    doc["spec"]["rules"] = json!([]);
    doc["spec"]["module"] = json!("registry://x/y:v9.9.9");
    let p = check_doc(&doc, &policies, &opts);
    assert!(p.iter().any(|p| p.contains("rules differ")), "{p:?}");
    assert!(
        p.iter().any(|p| p.contains("does not carry version")),
        "{p:?}"
    );
    let ps = json!({"kind": "PolicyServer", "metadata": {"name": "x"}, "spec": {"image": "i", "replica": 1}});
    assert_eq!(check_doc(&ps, &policies, &opts).len(), 1);
}

#[test]
fn profiles_refuse_unknown_keys_ids_modes_and_mixed_groups() {
    let policies = policy::discover(&root()).unwrap();
    let bad: Result<Profile, _> =
        serde_yaml::from_str("name: x\ndescription: d\npolicies: []\nextra: 1\n");
    assert!(bad.is_err());
    let p: Profile = serde_yaml::from_str(
        "name: x\ndescription: d\npolicies:\n  - {id: nope}\n  - {id: no-privileged-containers, mode: audit}\n  - {id: no-privileged-containers, settings: [1]}\n",
    )
    .unwrap();
    let e = p.check(&policies).unwrap_err().to_string();
    assert!(e.contains("no such policy"), "{e}");
    assert!(e.contains("neither protect nor monitor"), "{e}");
    assert!(e.contains("listed twice"), "{e}");
    assert!(e.contains("settings must be a mapping"), "{e}");
    let mixed: Profile = serde_yaml::from_str(
        "name: x\ndescription: d\npolicies:\n  - {id: no-privileged-containers, mode: monitor}\n  - {id: block-default-namespace, mode: protect}\n",
    )
    .unwrap();
    let e = render::render(
        &mixed,
        &policies,
        &Options {
            group: true,
            ..Options::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("one mode"), "{e}");
    let e = render::render(
        &mixed,
        &policies,
        &Options {
            timeout_seconds: 31,
            ..Options::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("timeoutSeconds"), "{e}");
}

#[test]
fn a_verification_key_renders_the_policy_server_verification_config() {
    let (policies, profiles) = profiles_with_base();
    let (_, public) = bundle_tool::sign::keygen(b"").unwrap();
    let opts = Options {
        policy_server_image: Some("example.org/kubewarden/policy-server:v1.33.0".into()),
        policy_server: "aks".into(),
        verification_key: Some(public.clone()),
        ..Options::default()
    };
    let docs = render::render(&profiles[0], &policies, &opts).unwrap();
    let cm = docs.iter().find(|d| d["kind"] == "ConfigMap").unwrap();
    let server = docs.iter().find(|d| d["kind"] == "PolicyServer").unwrap();
    assert_eq!(server["spec"]["verificationConfig"], cm["metadata"]["name"]);
    let mut problems = Vec::new();
    for d in &docs {
        problems.extend(check_doc(d, &policies, &opts));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    let cfg: Value =
        serde_yaml::from_str(cm["data"]["verification-config"].as_str().unwrap()).unwrap();
    assert_eq!(
        cfg["allOf"][0]["key"].as_str().unwrap().trim(),
        public.trim()
    );
    // Without a PolicyServer to attach it to, or with something that is not a public key: refused.
    let e = render::render(
        &profiles[0],
        &policies,
        &Options {
            policy_server_image: None,
            ..opts.clone()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("policy-server image"), "{e}");
    let e = render::render(
        &profiles[0],
        &policies,
        &Options {
            verification_key: Some(
                "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----".into(),
            ),
            ..opts.clone()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("PEM public key"), "{e}");
}
