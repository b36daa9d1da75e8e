//! Renders a profile into Kubewarden manifests: one `ClusterAdmissionPolicy` per module, or one
//! `ClusterAdmissionPolicyGroup`, plus an optional `PolicyServer` and, with a verification key,
//! the `ConfigMap` holding its `verification-config` (policy-server then runs only modules signed
//! by that key).

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};

use crate::policy::{CONTROLS_ANNOTATION, Policy};
use crate::profile::Profile;

/// API version of the Kubewarden policy CRDs.
pub const API_VERSION: &str = "policies.kubewarden.io/v1";
/// Label put on everything rendered.
pub const PART_OF: (&str, &str) = ("app.kubernetes.io/part-of", "aks-baseline-policies");

/// How to render.
#[derive(Debug, Clone)]
pub struct Options {
    /// Registry and repository prefix the modules were pushed to, e.g. `myacr.azurecr.io/policies`
    /// (module reference `registry://<registry>/<id>:v<version>`).
    pub registry: String,
    /// The PolicyServer the policies run on.
    pub policy_server: String,
    /// Also render that PolicyServer, with this image.
    pub policy_server_image: Option<String>,
    /// One `ClusterAdmissionPolicyGroup` instead of one policy per module.
    pub group: bool,
    /// `failurePolicy` (`Fail`: an unreachable or failing policy rejects; see RELIABILITY.md).
    pub failure_policy: String,
    /// `timeoutSeconds` of the webhooks (2-30).
    pub timeout_seconds: u32,
    /// A cosign public key (PEM): the PolicyServer verifies every module's signature with it
    /// (`spec.verificationConfig`, a ConfigMap in [`KUBEWARDEN_NAMESPACE`]). Needs
    /// `policy_server_image`.
    pub verification_key: Option<String>,
}

/// Namespace of the Kubewarden controller, where a PolicyServer's ConfigMaps live.
pub const KUBEWARDEN_NAMESPACE: &str = "kubewarden";

impl Default for Options {
    fn default() -> Options {
        Options {
            registry: "registry.example.com/aks-baseline-policies".into(),
            policy_server: "default".into(),
            policy_server_image: None,
            group: false,
            failure_policy: "Fail".into(),
            timeout_seconds: 10,
            verification_key: None,
        }
    }
}

impl Options {
    /// Checks the options.
    ///
    /// # Errors
    /// On a value Kubewarden would refuse.
    pub fn check(&self) -> Result<()> {
        if self.failure_policy != "Fail" && self.failure_policy != "Ignore" {
            bail!(
                "failurePolicy must be Fail or Ignore, not {:?}",
                self.failure_policy
            );
        }
        if !(2..=30).contains(&self.timeout_seconds) {
            bail!(
                "timeoutSeconds must be within 2..=30, not {}",
                self.timeout_seconds
            );
        }
        if self.registry.is_empty() || self.registry.contains("://") {
            bail!(
                "registry must be host[:port]/path without a scheme, not {:?}",
                self.registry
            );
        }
        Ok(())
    }
}

/// The module reference of a policy.
pub fn module_ref(registry: &str, p: &Policy) -> String {
    format!(
        "registry://{}/{}:{}",
        registry.trim_end_matches('/'),
        p.id,
        p.tag()
    )
}

/// One resolved profile entry.
struct Resolved<'a> {
    policy: &'a Policy,
    mode: String,
    settings: Value,
    mutating: bool,
    system_namespaces: bool,
}

fn resolve<'a>(profile: &Profile, policies: &'a [Policy]) -> Result<Vec<Resolved<'a>>> {
    profile.check(policies)?;
    profile
        .policies
        .iter()
        .map(|e| {
            let policy = policies
                .iter()
                .find(|p| p.id == e.id)
                .with_context(|| format!("no policy {}", e.id))?;
            Ok(Resolved {
                policy,
                mode: e
                    .mode
                    .clone()
                    .unwrap_or_else(|| policy.default_mode().to_string()),
                settings: e.settings.clone().unwrap_or_else(|| json!({})),
                mutating: e.mutating.unwrap_or(false),
                system_namespaces: e
                    .include_system_namespaces
                    .unwrap_or_else(|| policy.includes_system_namespaces()),
            })
        })
        .collect()
}

fn namespace_selector(excluded: &[String]) -> Value {
    json!({
        "matchExpressions": [{
            "key": "kubernetes.io/metadata.name",
            "operator": "NotIn",
            "values": excluded,
        }]
    })
}

fn context_aware(p: &Policy) -> Option<Value> {
    let list = &p.metadata.context_aware_resources;
    (!list.is_empty()).then(|| {
        Value::Array(
            list.iter()
                .map(|r| json!({"apiVersion": r.api_version, "kind": r.kind}))
                .collect(),
        )
    })
}

fn metadata(name: &str, profile: &str, annotations: Map<String, Value>) -> Value {
    let mut m = json!({
        "name": name,
        "labels": {
            PART_OF.0: PART_OF.1,
            "io.aks-baseline-policies/profile": profile,
        },
    });
    if !annotations.is_empty() {
        m["annotations"] = Value::Object(annotations);
    }
    m
}

/// The policy-server verification config (format `apiVersion: v1`, see Kubewarden's
/// "verification configuration format") requiring a signature by the cosign public key `pem`.
///
/// # Errors
/// When `pem` is not one PEM public key.
pub fn verification_config(pem: &str) -> Result<String> {
    let pem = pem.trim().replace("\r\n", "\n");
    let pem = pem.as_str();
    if !pem.starts_with("-----BEGIN PUBLIC KEY-----")
        || !pem.ends_with("-----END PUBLIC KEY-----")
        || pem.matches("-----BEGIN").count() != 1
    {
        bail!("the verification key must be one PEM public key (-----BEGIN PUBLIC KEY-----)");
    }
    let doc = json!({
        "apiVersion": "v1",
        "allOf": [{"kind": "pubKey", "owner": PART_OF.1, "key": format!("{pem}\n")}],
    });
    serde_yaml::to_string(&doc).context("writing the verification config")
}

/// Renders the profile as a list of manifests (each a JSON value), in a stable order.
///
/// # Errors
/// When the profile does not fit the bundle or the options are invalid.
pub fn render(profile: &Profile, policies: &[Policy], opts: &Options) -> Result<Vec<Value>> {
    opts.check()?;
    let entries = resolve(profile, policies)?;
    let excluded = profile.excluded_namespaces();
    let mut out = Vec::new();
    if let Some(image) = &opts.policy_server_image {
        let mut server = json!({
            "apiVersion": API_VERSION,
            "kind": "PolicyServer",
            "metadata": metadata(&opts.policy_server, &profile.name, Map::new()),
            "spec": {"image": image, "replicas": 2, "minAvailable": 1},
        });
        if let Some(key) = &opts.verification_key {
            let name = format!("{}-verification", opts.policy_server);
            let mut cm = json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": metadata(&name, &profile.name, Map::new()),
                "data": {"verification-config": verification_config(key)?},
            });
            cm["metadata"]["namespace"] = json!(KUBEWARDEN_NAMESPACE);
            server["spec"]["verificationConfig"] = json!(name);
            out.push(cm);
        }
        out.push(server);
    } else if opts.verification_key.is_some() {
        bail!(
            "a verification key is a PolicyServer setting (spec.verificationConfig): give the policy-server image too"
        );
    }
    if opts.group {
        out.push(render_group(profile, &entries, &excluded, opts)?);
        return Ok(out);
    }
    for r in &entries {
        let p = r.policy;
        let mut spec = json!({
            "module": module_ref(&opts.registry, p),
            "rules": p.metadata.rules,
            "mutating": r.mutating,
            "mode": r.mode,
            "failurePolicy": opts.failure_policy,
            "backgroundAudit": p.metadata.background_audit,
            "timeoutSeconds": opts.timeout_seconds,
            "policyServer": opts.policy_server,
            "settings": r.settings,
        });
        if !r.system_namespaces {
            spec["namespaceSelector"] = namespace_selector(&excluded);
        }
        if let Some(c) = context_aware(p) {
            spec["contextAwareResources"] = c;
        }
        let mut ann = Map::new();
        if let Some(c) = p.metadata.annotations.get(CONTROLS_ANNOTATION) {
            ann.insert(CONTROLS_ANNOTATION.into(), Value::String(c.clone()));
        }
        out.push(json!({
            "apiVersion": API_VERSION,
            "kind": "ClusterAdmissionPolicy",
            "metadata": metadata(&p.id, &profile.name, ann),
            "spec": spec,
        }));
    }
    Ok(out)
}

/// The group member name of a policy: a Rhai identifier.
pub fn member_name(id: &str) -> String {
    id.replace('-', "_")
}

fn render_group(
    profile: &Profile,
    entries: &[Resolved<'_>],
    excluded: &[String],
    opts: &Options,
) -> Result<Value> {
    let mut problems = Vec::new();
    let modes: BTreeSet<&str> = entries.iter().map(|r| r.mode.as_str()).collect();
    if modes.len() > 1 {
        problems.push(format!(
            "a policy group has one mode, but the profile mixes {}: render it without --group",
            modes.into_iter().collect::<Vec<_>>().join(" and ")
        ));
    }
    for r in entries.iter().filter(|r| r.mutating) {
        problems.push(format!(
            "{}: members of a policy group cannot mutate",
            r.policy.id
        ));
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    let mut rules: Vec<Value> = Vec::new();
    let mut members = Map::new();
    for r in entries {
        for rule in &r.policy.metadata.rules {
            if !rules.contains(rule) {
                rules.push(rule.clone());
            }
        }
        let mut m = json!({
            "module": module_ref(&opts.registry, r.policy),
            "settings": r.settings,
        });
        if let Some(c) = context_aware(r.policy) {
            m["contextAwareResources"] = c;
        }
        members.insert(member_name(&r.policy.id), m);
    }
    let expression = entries
        .iter()
        .map(|r| format!("{}()", member_name(&r.policy.id)))
        .collect::<Vec<_>>()
        .join(" && ");
    let mut spec = json!({
        "policyServer": opts.policy_server,
        "mode": entries.first().map_or("protect", |r| r.mode.as_str()),
        "failurePolicy": opts.failure_policy,
        "backgroundAudit": entries.iter().all(|r| r.policy.metadata.background_audit),
        "timeoutSeconds": opts.timeout_seconds,
        "rules": rules,
        "expression": expression,
        "message": format!("the request violates the {} profile of aks-baseline-policies", profile.name),
        "policies": members,
    });
    if entries.iter().all(|r| !r.system_namespaces) {
        spec["namespaceSelector"] = namespace_selector(excluded);
    }
    Ok(json!({
        "apiVersion": API_VERSION,
        "kind": "ClusterAdmissionPolicyGroup",
        "metadata": metadata(&profile.name, &profile.name, Map::new()),
        "spec": spec,
    }))
}

/// Manifests as one multi-document YAML text.
///
/// # Errors
/// When a value cannot be written as YAML.
pub fn to_yaml(docs: &[Value]) -> Result<String> {
    let mut out = String::new();
    for d in docs {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(d)?);
    }
    Ok(out)
}
