//! What a module's `metadata.yml` says about routing: the `rules` the API server matches
//! requests against, and the `contextAwareResources` its lookups are limited to.

use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    #[serde(default)]
    rules: Vec<Rule>,
    #[serde(default)]
    context_aware_resources: Vec<Resource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    #[serde(default)]
    api_groups: Vec<String>,
    #[serde(default)]
    api_versions: Vec<String>,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    operations: Vec<String>,
}

/// A resource type a module may look up.
#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// `v1`, `apps/v1`, …
    pub api_version: String,
    /// `Namespace`, …
    pub kind: String,
}

fn metadata(text: &str) -> Metadata {
    // The structure test and `host-test annotate` validate every metadata.yml; an unreadable one
    // routes nothing rather than everything.
    serde_yaml::from_str(text).unwrap_or_default()
}

fn listed(list: &[String], value: &str) -> bool {
    list.iter().any(|v| v == "*" || v == value)
}

fn resource_listed(list: &[String], resource: &str, sub: Option<&str>) -> bool {
    list.iter().any(|r| match sub {
        None => r == "*" || r == resource,
        Some(sub) => {
            r == "*/*"
                || r.split_once('/')
                    .is_some_and(|(a, b)| (a == resource || a == "*") && (b == sub || b == "*"))
        }
    })
}

/// Whether the rules of `metadata_yml` route `request` (an AdmissionRequest) to the module, as
/// the API server matches a webhook's rules.
pub fn routes(metadata_yml: &str, request: &Value) -> bool {
    let s = |p: &str| request.pointer(p).and_then(Value::as_str).unwrap_or("");
    let (group, version, resource) = (
        s("/resource/group"),
        s("/resource/version"),
        s("/resource/resource"),
    );
    let sub = request
        .get("subResource")
        .and_then(Value::as_str)
        .filter(|x| !x.is_empty());
    let operation = s("/operation");
    metadata(metadata_yml).rules.iter().any(|r| {
        listed(&r.operations, operation)
            && listed(&r.api_groups, group)
            && listed(&r.api_versions, version)
            && resource_listed(&r.resources, resource, sub)
    })
}

/// The resource types a module may look up (`contextAwareResources`).
pub fn context_aware_resources(metadata_yml: &str) -> Vec<Resource> {
    metadata(metadata_yml).context_aware_resources
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const META: &str = "rules:\n- apiGroups: [apps]\n  apiVersions: [v1]\n  resources: [deployments]\n  operations: [CREATE, UPDATE]\n- apiGroups: ['']\n  apiVersions: [v1]\n  resources: [pods/ephemeralcontainers]\n  operations: ['*']\ncontextAwareResources:\n- apiVersion: v1\n  kind: Namespace\n";

    fn req(group: &str, resource: &str, sub: Option<&str>, op: &str) -> Value {
        let mut r = json!({"resource": {"group": group, "version": "v1", "resource": resource}, "operation": op});
        if let Some(sub) = sub {
            r["subResource"] = json!(sub);
        }
        r
    }

    #[test]
    fn routes_like_the_api_server() {
        assert!(routes(META, &req("apps", "deployments", None, "CREATE")));
        assert!(!routes(META, &req("apps", "deployments", None, "DELETE")));
        assert!(!routes(META, &req("apps", "statefulsets", None, "CREATE")));
        assert!(!routes(META, &req("", "pods", None, "CREATE")));
        assert!(routes(
            META,
            &req("", "pods", Some("ephemeralcontainers"), "UPDATE")
        ));
        assert!(!routes(
            "not: [yaml",
            &req("apps", "deployments", None, "CREATE")
        ));
        assert_eq!(
            context_aware_resources(META),
            vec![Resource {
                api_version: "v1".into(),
                kind: "Namespace".into()
            }]
        );
    }
}
