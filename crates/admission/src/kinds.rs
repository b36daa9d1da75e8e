//! Which kinds a cluster serves: the built-in Kubernetes API (group, kind, plural resource,
//! scope), plus the kinds that CustomResourceDefinitions declare, so that a scan names the
//! resource of a custom object as the API server would, knows its scope, and reports an
//! object of a kind nothing declares.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::fixture::ClusterFixture;

/// Built-in kinds of a Kubernetes API server, current and removed: (API group, kind, plural
/// resource, cluster-scoped). The API version is not part of the key: a kind keeps its plural
/// and scope across versions (`apps/v1beta2` is still `deployments`).
const BUILTIN: &[(&str, &str, &str, bool)] = &[
    // core/v1
    ("", "Binding", "bindings", false),
    ("", "ComponentStatus", "componentstatuses", true),
    ("", "ConfigMap", "configmaps", false),
    ("", "Endpoints", "endpoints", false),
    ("", "Event", "events", false),
    ("", "LimitRange", "limitranges", false),
    ("", "Namespace", "namespaces", true),
    ("", "Node", "nodes", true),
    ("", "PersistentVolume", "persistentvolumes", true),
    ("", "PersistentVolumeClaim", "persistentvolumeclaims", false),
    ("", "Pod", "pods", false),
    ("", "PodTemplate", "podtemplates", false),
    ("", "ReplicationController", "replicationcontrollers", false),
    ("", "ResourceQuota", "resourcequotas", false),
    ("", "Secret", "secrets", false),
    ("", "Service", "services", false),
    ("", "ServiceAccount", "serviceaccounts", false),
    // admissionregistration.k8s.io
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicy",
        "mutatingadmissionpolicies",
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicyBinding",
        "mutatingadmissionpolicybindings",
        true,
    ),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        true,
    ),
    ("apiregistration.k8s.io", "APIService", "apiservices", true),
    // apps
    ("apps", "ControllerRevision", "controllerrevisions", false),
    ("apps", "DaemonSet", "daemonsets", false),
    ("apps", "Deployment", "deployments", false),
    ("apps", "ReplicaSet", "replicasets", false),
    ("apps", "StatefulSet", "statefulsets", false),
    // authentication, authorization (create-only reviews)
    ("authentication.k8s.io", "TokenReview", "tokenreviews", true),
    (
        "authentication.k8s.io",
        "SelfSubjectReview",
        "selfsubjectreviews",
        true,
    ),
    (
        "authorization.k8s.io",
        "LocalSubjectAccessReview",
        "localsubjectaccessreviews",
        false,
    ),
    (
        "authorization.k8s.io",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        true,
    ),
    (
        "authorization.k8s.io",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        true,
    ),
    (
        "authorization.k8s.io",
        "SubjectAccessReview",
        "subjectaccessreviews",
        true,
    ),
    (
        "autoscaling",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        false,
    ),
    ("batch", "CronJob", "cronjobs", false),
    ("batch", "Job", "jobs", false),
    (
        "certificates.k8s.io",
        "CertificateSigningRequest",
        "certificatesigningrequests",
        true,
    ),
    (
        "certificates.k8s.io",
        "ClusterTrustBundle",
        "clustertrustbundles",
        true,
    ),
    ("coordination.k8s.io", "Lease", "leases", false),
    ("discovery.k8s.io", "EndpointSlice", "endpointslices", false),
    ("events.k8s.io", "Event", "events", false),
    (
        "flowcontrol.apiserver.k8s.io",
        "FlowSchema",
        "flowschemas",
        true,
    ),
    (
        "flowcontrol.apiserver.k8s.io",
        "PriorityLevelConfiguration",
        "prioritylevelconfigurations",
        true,
    ),
    ("networking.k8s.io", "Ingress", "ingresses", false),
    ("networking.k8s.io", "IngressClass", "ingressclasses", true),
    ("networking.k8s.io", "IPAddress", "ipaddresses", true),
    (
        "networking.k8s.io",
        "NetworkPolicy",
        "networkpolicies",
        false,
    ),
    ("networking.k8s.io", "ServiceCIDR", "servicecidrs", true),
    ("node.k8s.io", "RuntimeClass", "runtimeclasses", true),
    (
        "policy",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "ClusterRole",
        "clusterroles",
        true,
    ),
    (
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        "clusterrolebindings",
        true,
    ),
    ("rbac.authorization.k8s.io", "Role", "roles", false),
    (
        "rbac.authorization.k8s.io",
        "RoleBinding",
        "rolebindings",
        false,
    ),
    ("resource.k8s.io", "DeviceClass", "deviceclasses", true),
    ("resource.k8s.io", "ResourceClaim", "resourceclaims", false),
    (
        "resource.k8s.io",
        "ResourceClaimTemplate",
        "resourceclaimtemplates",
        false,
    ),
    ("resource.k8s.io", "ResourceSlice", "resourceslices", true),
    (
        "scheduling.k8s.io",
        "PriorityClass",
        "priorityclasses",
        true,
    ),
    ("storage.k8s.io", "CSIDriver", "csidrivers", true),
    ("storage.k8s.io", "CSINode", "csinodes", true),
    (
        "storage.k8s.io",
        "CSIStorageCapacity",
        "csistoragecapacities",
        false,
    ),
    ("storage.k8s.io", "StorageClass", "storageclasses", true),
    (
        "storage.k8s.io",
        "VolumeAttachment",
        "volumeattachments",
        true,
    ),
    (
        "storage.k8s.io",
        "VolumeAttributesClass",
        "volumeattributesclasses",
        true,
    ),
    (
        "storagemigration.k8s.io",
        "StorageVersionMigration",
        "storageversionmigrations",
        true,
    ),
    // Kinds of API groups a current API server no longer serves, but that old manifests
    // still use (extensions/v1beta1 until 1.16 and 1.22, policy/v1beta1 PodSecurityPolicy
    // until 1.25): recognised as the built-in kinds they are, so that deprecated-api-versions
    // judges them instead of the scan calling them unknown.
    ("extensions", "DaemonSet", "daemonsets", false),
    ("extensions", "Deployment", "deployments", false),
    ("extensions", "Ingress", "ingresses", false),
    ("extensions", "NetworkPolicy", "networkpolicies", false),
    (
        "extensions",
        "PodSecurityPolicy",
        "podsecuritypolicies",
        true,
    ),
    ("extensions", "ReplicaSet", "replicasets", false),
    ("policy", "PodSecurityPolicy", "podsecuritypolicies", true),
    ("settings.k8s.io", "PodPreset", "podpresets", false),
];

/// Plural resources the lower-case rule gets wrong, for kinds outside the built-in table
/// (legacy groups, common add-ons) looked up by kind alone.
const EXTRA_PLURALS: &[(&str, &str)] = &[("PodSecurityPolicy", "podsecuritypolicies")];

/// The API group of an `apiVersion` (`""` for the core group's `v1`).
pub fn api_group(api_version: &str) -> &str {
    api_version.split_once('/').map_or("", |(group, _)| group)
}

/// The plural resource by the API server's default rule for a kind nothing declares:
/// lower-case plus `es` (after `s`, `x`, `z`, `ch`, `sh`), `ies` (consonant + `y`) or `s`.
pub fn guess_plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with(['s', 'x', 'z']) || lower.ends_with("ch") || lower.ends_with("sh") {
        format!("{lower}es")
    } else if let Some(stem) = lower.strip_suffix('y')
        && !stem.is_empty()
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    }
}

/// The plural resource of `kind`, looked up by kind alone: the built-in table, else
/// [`guess_plural`].
pub fn resource_for_kind(kind: &str) -> String {
    BUILTIN
        .iter()
        .find(|(_, k, _, _)| *k == kind)
        .map(|(_, _, plural, _)| *plural)
        .or_else(|| {
            EXTRA_PLURALS
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, p)| *p)
        })
        .map_or_else(|| guess_plural(kind), str::to_owned)
}

/// What the catalogue knows of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindInfo {
    /// The plural resource name.
    pub resource: String,
    /// Whether objects of the kind have no namespace.
    pub cluster_scoped: bool,
}

/// Where a kind comes from, for [`KindCatalog::lookup`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindOrigin {
    /// The built-in Kubernetes API.
    BuiltIn,
    /// A CustomResourceDefinition among the inputs or in the cluster fixture.
    CustomResourceDefinition,
    /// Objects of it exist in the cluster fixture, or the fixture lists it in
    /// `clusterScopedKinds`.
    Fixture,
}

/// The kinds a scan knows: built-in ones, those declared by CustomResourceDefinitions (of
/// the inputs and of the cluster fixture), and those the cluster fixture has objects of or
/// lists as cluster-scoped.
#[derive(Debug, Clone, Default)]
pub struct KindCatalog {
    /// (group, kind) -> info, from CustomResourceDefinitions.
    custom: BTreeMap<(String, String), KindInfo>,
    /// (group, kind) of the fixture's objects.
    fixture_objects: BTreeMap<(String, String), ()>,
    /// The fixture, for its `clusterScopedKinds` and built-in scope list.
    cluster: ClusterFixture,
}

impl KindCatalog {
    /// The catalogue of a cluster: its fixture (objects, CustomResourceDefinitions,
    /// `clusterScopedKinds`) plus the CustomResourceDefinitions among `objects`.
    pub fn new<'a>(cluster: &ClusterFixture, objects: impl IntoIterator<Item = &'a Value>) -> Self {
        let mut catalog = KindCatalog {
            cluster: ClusterFixture {
                objects: Vec::new(),
                ..cluster.clone()
            },
            ..KindCatalog::default()
        };
        for object in cluster.objects.iter() {
            catalog.add_definition(object);
            let api_version = object
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or("");
            let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
            catalog
                .fixture_objects
                .insert((api_group(api_version).to_owned(), kind.to_owned()), ());
        }
        for object in objects {
            catalog.add_definition(object);
        }
        catalog
    }

    /// Records the kind a CustomResourceDefinition declares (others are ignored).
    fn add_definition(&mut self, object: &Value) {
        let is_crd = object.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition")
            && object
                .get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(|v| api_group(v) == "apiextensions.k8s.io");
        if !is_crd {
            return;
        }
        let spec = object.get("spec");
        let text = |pointer: &str| {
            spec.and_then(|s| s.pointer(pointer))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let (Some(group), Some(kind)) = (text("/group"), text("/names/kind")) else {
            return;
        };
        let resource =
            text("/names/plural").map_or_else(|| kind.to_ascii_lowercase() + "s", str::to_owned);
        let cluster_scoped = text("/scope") == Some("Cluster");
        self.custom.insert(
            (group.to_owned(), kind.to_owned()),
            KindInfo {
                resource,
                cluster_scoped,
            },
        );
    }

    /// What is known of `kind` in API group `group`, and where from; `None` for a kind no
    /// API server of this cluster would serve.
    pub fn lookup(&self, group: &str, kind: &str) -> Option<(KindInfo, KindOrigin)> {
        if let Some((_, _, resource, cluster_scoped)) = BUILTIN
            .iter()
            .find(|(g, k, _, _)| *g == group && *k == kind)
        {
            return Some((
                KindInfo {
                    resource: (*resource).to_owned(),
                    cluster_scoped: *cluster_scoped,
                },
                KindOrigin::BuiltIn,
            ));
        }
        if let Some(info) = self.custom.get(&(group.to_owned(), kind.to_owned())) {
            return Some((info.clone(), KindOrigin::CustomResourceDefinition));
        }
        let in_fixture = self
            .fixture_objects
            .contains_key(&(group.to_owned(), kind.to_owned()))
            || self.cluster.cluster_scoped_kinds.contains(kind);
        in_fixture.then(|| {
            (
                KindInfo {
                    resource: resource_for_kind(kind),
                    cluster_scoped: self.fallback_cluster_scoped(kind),
                },
                KindOrigin::Fixture,
            )
        })
    }

    fn fallback_cluster_scoped(&self, kind: &str) -> bool {
        self.cluster.is_cluster_scoped(kind) || kind.ends_with("WebhookConfiguration")
    }

    /// The plural resource of `kind` in `group`: as declared, else [`resource_for_kind`].
    pub fn resource(&self, group: &str, kind: &str) -> String {
        self.lookup(group, kind)
            .map_or_else(|| resource_for_kind(kind), |(info, _)| info.resource)
    }

    /// Whether `kind` in `group` is cluster-scoped: as declared, else by the fixture's list
    /// of cluster-scoped kinds (and any `*WebhookConfiguration`).
    pub fn is_cluster_scoped(&self, group: &str, kind: &str) -> bool {
        self.lookup(group, kind).map_or_else(
            || self.fallback_cluster_scoped(kind),
            |(info, _)| info.cluster_scoped,
        )
    }

    /// Whether `object` (of `kind` in `group`) is cluster-scoped: as its kind is declared
    /// (built in, a CustomResourceDefinition, the fixture's list); for a kind nothing
    /// declares, by the object itself: cluster-scoped when it has no `metadata.namespace`
    /// (the API server would know from the kind's definition; a scan without it can only
    /// read the object, and the warning about the unknown kind says so).
    pub fn is_object_cluster_scoped(&self, group: &str, kind: &str, object: &Value) -> bool {
        if let Some((info, _)) = self.lookup(group, kind) {
            return info.cluster_scoped;
        }
        if self.fallback_cluster_scoped(kind) {
            return true;
        }
        object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    }

    /// The cluster-scoped kinds that CustomResourceDefinitions declare.
    pub fn custom_cluster_scoped_kinds(&self) -> impl Iterator<Item = &str> {
        self.custom
            .iter()
            .filter(|(_, info)| info.cluster_scoped)
            .map(|((_, kind), _)| kind.as_str())
    }
}
