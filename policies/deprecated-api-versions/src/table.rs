//! The table of deprecated and removed built-in API versions.
//!
//! # Keeping it current
//!
//! The source is the upstream "Deprecated API Migration Guide"
//! (kubernetes.io/docs/reference/using-api/deprecation-guide, section "Removed APIs by
//! release") together with the release notes' "Deprecation" sections for the version in which
//! each API version was deprecated. For every Kubernetes minor release:
//!
//! 1. read the guide's section for the new release and the release notes of the new release;
//! 2. add one [`Deprecation`] row per (group, version, kind) that the release deprecates or
//!    stops serving, or set `removed_in` on the existing row;
//! 3. raise [`REVIEWED_THROUGH`] to that release (it is also the default target version);
//! 4. run the unit tests (they check the rows are well-formed and unique) and add a case to
//!    `cases.yaml` for the new removal.
//!
//! Between releases of this module, operators add what the table does not know yet (and
//! CRD versions, e.g. of cert-manager or Velero) with the `extraDeprecations` setting.

/// A Kubernetes minor version, `(major, minor)`.
pub type Version = (u32, u32);

/// The newest Kubernetes release whose deprecations and removals the table was reviewed
/// against; the default target version.
pub const REVIEWED_THROUGH: Version = (1, 32);

/// One deprecated API version of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deprecation {
    /// API group (`""` for core).
    pub group: &'static str,
    /// API version, e.g. `v1beta1`.
    pub version: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// The release that deprecated it.
    pub deprecated_in: Version,
    /// The release that stopped serving it.
    pub removed_in: Version,
    /// What to use instead (`group/version`), empty when nothing replaces it.
    pub replacement: &'static str,
}

const fn d(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    deprecated_in: Version,
    removed_in: Version,
    replacement: &'static str,
) -> Deprecation {
    Deprecation {
        group,
        version,
        kind,
        deprecated_in,
        removed_in,
        replacement,
    }
}

/// Built-in API versions that are deprecated or no longer served, by release of removal.
pub const TABLE: &[Deprecation] = &[
    // Removed in 1.16.
    d(
        "extensions",
        "v1beta1",
        "Deployment",
        (1, 9),
        (1, 16),
        "apps/v1",
    ),
    d("apps", "v1beta1", "Deployment", (1, 9), (1, 16), "apps/v1"),
    d("apps", "v1beta2", "Deployment", (1, 9), (1, 16), "apps/v1"),
    d("apps", "v1beta1", "StatefulSet", (1, 9), (1, 16), "apps/v1"),
    d("apps", "v1beta2", "StatefulSet", (1, 9), (1, 16), "apps/v1"),
    d(
        "extensions",
        "v1beta1",
        "DaemonSet",
        (1, 9),
        (1, 16),
        "apps/v1",
    ),
    d("apps", "v1beta2", "DaemonSet", (1, 9), (1, 16), "apps/v1"),
    d(
        "extensions",
        "v1beta1",
        "ReplicaSet",
        (1, 9),
        (1, 16),
        "apps/v1",
    ),
    d("apps", "v1beta1", "ReplicaSet", (1, 9), (1, 16), "apps/v1"),
    d("apps", "v1beta2", "ReplicaSet", (1, 9), (1, 16), "apps/v1"),
    d(
        "extensions",
        "v1beta1",
        "NetworkPolicy",
        (1, 9),
        (1, 16),
        "networking.k8s.io/v1",
    ),
    d(
        "extensions",
        "v1beta1",
        "PodSecurityPolicy",
        (1, 10),
        (1, 16),
        "policy/v1beta1",
    ),
    // Removed in 1.17.
    d(
        "scheduling.k8s.io",
        "v1alpha1",
        "PriorityClass",
        (1, 14),
        (1, 17),
        "scheduling.k8s.io/v1",
    ),
    // Removed in 1.22.
    d(
        "admissionregistration.k8s.io",
        "v1beta1",
        "MutatingWebhookConfiguration",
        (1, 16),
        (1, 22),
        "admissionregistration.k8s.io/v1",
    ),
    d(
        "admissionregistration.k8s.io",
        "v1beta1",
        "ValidatingWebhookConfiguration",
        (1, 16),
        (1, 22),
        "admissionregistration.k8s.io/v1",
    ),
    d(
        "apiextensions.k8s.io",
        "v1beta1",
        "CustomResourceDefinition",
        (1, 16),
        (1, 22),
        "apiextensions.k8s.io/v1",
    ),
    d(
        "apiregistration.k8s.io",
        "v1beta1",
        "APIService",
        (1, 10),
        (1, 22),
        "apiregistration.k8s.io/v1",
    ),
    d(
        "authentication.k8s.io",
        "v1beta1",
        "TokenReview",
        (1, 6),
        (1, 22),
        "authentication.k8s.io/v1",
    ),
    d(
        "authorization.k8s.io",
        "v1beta1",
        "SubjectAccessReview",
        (1, 6),
        (1, 22),
        "authorization.k8s.io/v1",
    ),
    d(
        "authorization.k8s.io",
        "v1beta1",
        "LocalSubjectAccessReview",
        (1, 6),
        (1, 22),
        "authorization.k8s.io/v1",
    ),
    d(
        "authorization.k8s.io",
        "v1beta1",
        "SelfSubjectAccessReview",
        (1, 6),
        (1, 22),
        "authorization.k8s.io/v1",
    ),
    d(
        "certificates.k8s.io",
        "v1beta1",
        "CertificateSigningRequest",
        (1, 19),
        (1, 22),
        "certificates.k8s.io/v1",
    ),
    d(
        "coordination.k8s.io",
        "v1beta1",
        "Lease",
        (1, 14),
        (1, 22),
        "coordination.k8s.io/v1",
    ),
    d(
        "extensions",
        "v1beta1",
        "Ingress",
        (1, 14),
        (1, 22),
        "networking.k8s.io/v1",
    ),
    d(
        "networking.k8s.io",
        "v1beta1",
        "Ingress",
        (1, 19),
        (1, 22),
        "networking.k8s.io/v1",
    ),
    d(
        "networking.k8s.io",
        "v1beta1",
        "IngressClass",
        (1, 19),
        (1, 22),
        "networking.k8s.io/v1",
    ),
    d(
        "rbac.authorization.k8s.io",
        "v1alpha1",
        "ClusterRole",
        (1, 17),
        (1, 22),
        "rbac.authorization.k8s.io/v1",
    ),
    d(
        "rbac.authorization.k8s.io",
        "v1alpha1",
        "ClusterRoleBinding",
        (1, 17),
        (1, 22),
        "rbac.authorization.k8s.io/v1",
    ),
    d(
        "rbac.authorization.k8s.io",
        "v1alpha1",
        "Role",
        (1, 17),
        (1, 22),
        "rbac.authorization.k8s.io/v1",
    ),
    d(
        "rbac.authorization.k8s.io",
        "v1alpha1",
        "RoleBinding",
        (1, 17),
        (1, 22),
        "rbac.authorization.k8s.io/v1",
    ),
    d(
        "rbac.authorization.k8s.io",
        "v1beta1",
        "ClusterRole",
        (1, 17),
        (1, 22),
        "rbac.authorization.k8s.io/v1",
    ),
    d(
        "rbac.authorization.k8s.io",
        "v1beta1",
        "ClusterRoleBinding",
        (1, 17),
        (1, 22),
        "rbac.authorization.k8s.io/v1",
    ),
    d(
        "rbac.authorization.k8s.io",
        "v1beta1",
        "Role",
        (1, 17),
        (1, 22),
        "rbac.authorization.k8s.io/v1",
    ),
    d(
        "rbac.authorization.k8s.io",
        "v1beta1",
        "RoleBinding",
        (1, 17),
        (1, 22),
        "rbac.authorization.k8s.io/v1",
    ),
    d(
        "scheduling.k8s.io",
        "v1beta1",
        "PriorityClass",
        (1, 14),
        (1, 22),
        "scheduling.k8s.io/v1",
    ),
    d(
        "storage.k8s.io",
        "v1beta1",
        "CSIDriver",
        (1, 19),
        (1, 22),
        "storage.k8s.io/v1",
    ),
    d(
        "storage.k8s.io",
        "v1beta1",
        "CSINode",
        (1, 17),
        (1, 22),
        "storage.k8s.io/v1",
    ),
    d(
        "storage.k8s.io",
        "v1beta1",
        "StorageClass",
        (1, 6),
        (1, 22),
        "storage.k8s.io/v1",
    ),
    d(
        "storage.k8s.io",
        "v1beta1",
        "VolumeAttachment",
        (1, 13),
        (1, 22),
        "storage.k8s.io/v1",
    ),
    // Removed in 1.25.
    d("batch", "v1beta1", "CronJob", (1, 21), (1, 25), "batch/v1"),
    d(
        "discovery.k8s.io",
        "v1beta1",
        "EndpointSlice",
        (1, 21),
        (1, 25),
        "discovery.k8s.io/v1",
    ),
    d(
        "events.k8s.io",
        "v1beta1",
        "Event",
        (1, 19),
        (1, 25),
        "events.k8s.io/v1",
    ),
    d(
        "autoscaling",
        "v2beta1",
        "HorizontalPodAutoscaler",
        (1, 22),
        (1, 25),
        "autoscaling/v2",
    ),
    d(
        "policy",
        "v1beta1",
        "PodDisruptionBudget",
        (1, 21),
        (1, 25),
        "policy/v1",
    ),
    d(
        "policy",
        "v1beta1",
        "PodSecurityPolicy",
        (1, 21),
        (1, 25),
        "",
    ),
    d(
        "node.k8s.io",
        "v1beta1",
        "RuntimeClass",
        (1, 22),
        (1, 25),
        "node.k8s.io/v1",
    ),
    // Removed in 1.26.
    d(
        "flowcontrol.apiserver.k8s.io",
        "v1beta1",
        "FlowSchema",
        (1, 23),
        (1, 26),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    d(
        "flowcontrol.apiserver.k8s.io",
        "v1beta1",
        "PriorityLevelConfiguration",
        (1, 23),
        (1, 26),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    d(
        "autoscaling",
        "v2beta2",
        "HorizontalPodAutoscaler",
        (1, 23),
        (1, 26),
        "autoscaling/v2",
    ),
    // Removed in 1.27.
    d(
        "storage.k8s.io",
        "v1beta1",
        "CSIStorageCapacity",
        (1, 24),
        (1, 27),
        "storage.k8s.io/v1",
    ),
    // Removed in 1.29.
    d(
        "flowcontrol.apiserver.k8s.io",
        "v1beta2",
        "FlowSchema",
        (1, 26),
        (1, 29),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    d(
        "flowcontrol.apiserver.k8s.io",
        "v1beta2",
        "PriorityLevelConfiguration",
        (1, 26),
        (1, 29),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    // Removed in 1.32.
    d(
        "flowcontrol.apiserver.k8s.io",
        "v1beta3",
        "FlowSchema",
        (1, 29),
        (1, 32),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    d(
        "flowcontrol.apiserver.k8s.io",
        "v1beta3",
        "PriorityLevelConfiguration",
        (1, 29),
        (1, 32),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
];

/// The row for a group, version and kind, if the table has one.
pub fn lookup(group: &str, version: &str, kind: &str) -> Option<&'static Deprecation> {
    TABLE
        .iter()
        .find(|d| d.group == group && d.version == version && d.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeSet;

    #[test]
    fn rows_are_well_formed_and_unique() {
        let mut seen = BTreeSet::new();
        for r in TABLE {
            assert!(
                seen.insert((r.group, r.version, r.kind)),
                "duplicate row {r:?}"
            );
            assert!(r.deprecated_in < r.removed_in, "{r:?}");
            assert!(r.removed_in <= REVIEWED_THROUGH, "{r:?}");
            assert!(!r.kind.is_empty() && !r.version.is_empty(), "{r:?}");
            assert_ne!(
                r.replacement,
                format!("{}/{}", r.group, r.version),
                "{r:?} replaces itself"
            );
            if !r.replacement.is_empty() {
                assert!(
                    r.replacement.contains('/') || r.replacement == "v1",
                    "{r:?}"
                );
            }
        }
    }

    #[test]
    fn rows_are_in_order_of_removal() {
        assert!(TABLE.windows(2).all(|w| w[0].removed_in <= w[1].removed_in));
    }

    /// The module is routed only for the group/versions of the table (so ordinary traffic in
    /// current versions never reaches it); every row must be routed.
    #[test]
    fn metadata_routes_every_row() {
        let meta: serde_yaml::Value =
            serde_yaml::from_str(include_str!("../metadata.yml")).expect("metadata.yml");
        let rules = meta["rules"].as_sequence().expect("rules");
        let list = |r: &serde_yaml::Value, k: &str| -> Vec<String> {
            r[k].as_sequence()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        for row in TABLE {
            let routed = rules.iter().any(|r| {
                list(r, "apiGroups").iter().any(|g| g == row.group)
                    && list(r, "apiVersions").iter().any(|v| v == row.version)
                    && list(r, "resources") == ["*"]
            });
            assert!(routed, "{row:?} is not routed by metadata.yml");
        }
        for r in rules {
            for g in list(r, "apiGroups") {
                for v in list(r, "apiVersions") {
                    assert!(
                        TABLE.iter().any(|row| row.group == g && row.version == v),
                        "metadata.yml routes {g}/{v}, which the table does not list"
                    );
                }
            }
        }
    }

    #[test]
    fn lookup_is_exact() {
        assert!(lookup("batch", "v1beta1", "CronJob").is_some());
        assert!(lookup("batch", "v1", "CronJob").is_none());
        assert!(lookup("apps", "v1beta1", "DaemonSet").is_none());
        assert!(lookup("", "v1", "Pod").is_none());
    }
}
