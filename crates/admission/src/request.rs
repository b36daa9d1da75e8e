//! AdmissionRequest building: the CREATE request the API server would send for an object
//! read from a manifest, with the kind's plural resource and scope from a [`KindCatalog`].

use serde_json::{Map, Value, json};

use crate::fixture::ClusterFixture;
use crate::kinds::KindCatalog;

/// The username of scan requests when none is given.
pub const DEFAULT_USERNAME: &str = "host-test-scan";

pub use crate::kinds::resource_for_kind;

/// Whether objects of `kind` are cluster-scoped: the built-in list of cluster fixtures
/// (Namespace, Node, ClusterRole, ClusterRoleBinding, PersistentVolume, StorageClass,
/// CustomResourceDefinition, PriorityClass, RuntimeClass, IngressClass, … plus the fixture's
/// own `clusterScopedKinds`) and any `*WebhookConfiguration`.
pub fn is_cluster_scoped(kind: &str, cluster: &ClusterFixture) -> bool {
    cluster.is_cluster_scoped(kind) || kind.ends_with("WebhookConfiguration")
}

/// Who sends the scan's requests, and where namespaced objects without a namespace go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestDefaults {
    /// Namespace of namespaced objects without `metadata.namespace` (`default`).
    pub namespace: String,
    /// `userInfo.username` ([`DEFAULT_USERNAME`]).
    pub username: String,
    /// `userInfo.groups` (none).
    pub groups: Vec<String>,
    /// Requests are numbered `<uid_prefix>-<number>` (`scan`).
    pub uid_prefix: String,
}

impl Default for RequestDefaults {
    fn default() -> Self {
        RequestDefaults {
            namespace: "default".to_owned(),
            username: DEFAULT_USERNAME.to_owned(),
            groups: Vec::new(),
            uid_prefix: "scan".to_owned(),
        }
    }
}

/// The CREATE AdmissionRequest the API server would send for `object`, with uid
/// `<uid_prefix>-<number>` (`scan-<number>` by default). A namespaced object without `metadata.namespace` gets the default
/// namespace, in the request and (as the API server fills it in before admission) in the
/// object; a cluster-scoped object has no request namespace and loses a stray
/// `metadata.namespace`, as the API server clears it. An object of a kind nothing declares is
/// namespaced when it names a namespace, else cluster-scoped. Kinds are resolved with the
/// built-in table and the cluster fixture (see [`admission_request_in`] to add the
/// CustomResourceDefinitions of the scanned objects).
pub fn admission_request(
    object: &Value,
    number: usize,
    defaults: &RequestDefaults,
    cluster: &ClusterFixture,
) -> Value {
    let catalog = KindCatalog::new(cluster, std::iter::empty());
    admission_request_in(object, number, defaults, &catalog)
}

/// [`admission_request`] with the kinds (plural resource, scope) of `catalog`.
pub fn admission_request_in(
    object: &Value,
    number: usize,
    defaults: &RequestDefaults,
    catalog: &KindCatalog,
) -> Value {
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let resource = catalog.resource(group, kind);
    let mut object = object.clone();
    let namespace = if catalog.is_object_cluster_scoped(group, kind, &object) {
        // The API server clears the namespace of a cluster-scoped object before validating
        // admission sees it (k8s.io/apiserver pkg/registry/rest/create.go, BeforeCreate:
        // `if !strategy.NamespaceScoped() { objectMeta.SetNamespace(metav1.NamespaceNone) }`).
        if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            metadata.remove("namespace");
        }
        None
    } else {
        let given = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .filter(|ns| !ns.is_empty())
            .map(str::to_owned);
        let namespace = given.unwrap_or_else(|| defaults.namespace.clone());
        if let Some(map) = object.as_object_mut() {
            let metadata = map
                .entry("metadata")
                .or_insert_with(|| Value::Object(Map::new()));
            if !metadata.is_object() {
                *metadata = Value::Object(Map::new());
            }
            metadata["namespace"] = Value::String(namespace.clone());
        }
        Some(namespace)
    };
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let kind_triple = json!({"group": group, "version": version, "kind": kind});
    let resource_triple = json!({"group": group, "version": version, "resource": resource});
    let mut request = Map::new();
    request.insert(
        "uid".to_owned(),
        json!(format!("{}-{number}", defaults.uid_prefix)),
    );
    request.insert("kind".to_owned(), kind_triple.clone());
    request.insert("resource".to_owned(), resource_triple.clone());
    request.insert("requestKind".to_owned(), kind_triple);
    request.insert("requestResource".to_owned(), resource_triple);
    if let Some(name) = name {
        request.insert("name".to_owned(), json!(name));
    }
    if let Some(namespace) = namespace {
        request.insert("namespace".to_owned(), json!(namespace));
    }
    request.insert("operation".to_owned(), json!("CREATE"));
    request.insert(
        "userInfo".to_owned(),
        json!({"username": defaults.username, "groups": defaults.groups}),
    );
    request.insert("object".to_owned(), object);
    request.insert("dryRun".to_owned(), json!(false));
    request.insert(
        "options".to_owned(),
        json!({"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}),
    );
    Value::Object(request)
}
