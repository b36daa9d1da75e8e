//! The native variants: the floor (the same rule compiled for the host, fed the same bytes, the
//! answer serialised as the module does) and the usual way of writing a policy (the whole
//! object deserialised into k8s-openapi types before the check).

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Container;
use policy_helpers::Policy;
use serde::Deserialize;
use serde_json::{Value, json};

/// A policy compiled natively.
#[derive(Debug, Clone, Copy)]
pub struct Native {
    /// Policy id.
    pub id: &'static str,
    /// `runtime::evaluate` of the policy, then the answer serialised.
    pub validate: fn(&[u8]) -> Result<Vec<u8>, String>,
}

fn validate<P: Policy>(payload: &[u8]) -> Result<Vec<u8>, String> {
    policy_helpers::runtime::evaluate::<P>(payload).map(|r| r.to_json())
}

/// The policies measured natively (the three template policies: one pod rule, one rule with
/// pattern settings, one rule over any kind).
pub const NATIVE: &[Native] = &[
    Native {
        id: "allowed-image-registries",
        validate: validate::<allowed_image_registries::AllowedImageRegistries>,
    },
    Native {
        id: "block-default-namespace",
        validate: validate::<block_default_namespace::BlockDefaultNamespace>,
    },
    Native {
        id: "no-privileged-containers",
        validate: validate::<no_privileged_containers::NoPrivilegedContainers>,
    },
];

/// The native variant of policy `id`, if there is one.
pub fn native(id: &str) -> Option<&'static Native> {
    NATIVE.iter().find(|n| n.id == id)
}

#[derive(Deserialize)]
struct FullEnvelope {
    request: FullRequest,
    #[serde(default)]
    #[allow(dead_code)]
    settings: Value,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FullRequest {
    uid: String,
    kind: Value,
    operation: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(rename = "userInfo", default)]
    user_info: Value,
    #[serde(default)]
    object: Value,
}

fn privileged(c: &Container) -> bool {
    c.security_context
        .as_ref()
        .and_then(|s| s.privileged)
        .unwrap_or(false)
}

/// `no-privileged-containers` written the usual way: the payload parsed into a
/// `serde_json::Value` envelope, the object converted into a k8s-openapi `Deployment`, every
/// container, init container and ephemeral container checked, the answer serialised.
///
/// # Errors
/// When the payload or the object cannot be read.
pub fn openapi_no_privileged(payload: &[u8]) -> Result<Vec<u8>, String> {
    let envelope: FullEnvelope = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    let deployment: Deployment =
        serde_json::from_value(envelope.request.object).map_err(|e| e.to_string())?;
    let meta = &deployment.metadata;
    let mut violations = Vec::new();
    if let Some(spec) = deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
    {
        for (i, c) in spec.containers.iter().enumerate() {
            if privileged(c) {
                violations.push(format!(
                    "container \"{}\" (spec.template.spec.containers[{i}]) sets securityContext.privileged=true",
                    c.name
                ));
            }
        }
        for (i, c) in spec.init_containers.iter().flatten().enumerate() {
            if privileged(c) {
                violations.push(format!(
                    "init container \"{}\" (spec.template.spec.initContainers[{i}]) sets securityContext.privileged=true",
                    c.name
                ));
            }
        }
        for (i, c) in spec.ephemeral_containers.iter().flatten().enumerate() {
            let p = c
                .security_context
                .as_ref()
                .and_then(|s| s.privileged)
                .unwrap_or(false);
            if p {
                violations.push(format!(
                    "ephemeral container \"{}\" (spec.template.spec.ephemeralContainers[{i}]) sets securityContext.privileged=true",
                    c.name
                ));
            }
        }
    }
    let answer = if violations.is_empty() {
        json!({"accepted": true})
    } else {
        json!({
            "accepted": false,
            "message": format!(
                "Deployment {}/{}: {} [ASB 7.3, PCI 7.1.2, PCI 7.2.1]",
                meta.namespace.as_deref().unwrap_or(""),
                meta.name.as_deref().unwrap_or(""),
                violations.join("; ")
            )
        })
    };
    serde_json::to_vec(&answer).map_err(|e| e.to_string())
}
