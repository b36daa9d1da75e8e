//! Settings: the denied kinds, the approved CRD groups, the ExternalName checks, and the
//! common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::Glob;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `deny-resource-kinds`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Kinds that may not be created. Default: every kind of the retired AAD pod identity
        /// (`aadpodidentity.k8s.io`), replaced by Workload ID.
        pub denied_kinds: Vec<DeniedKind> = "deniedKinds",
        /// API groups a CustomResourceDefinition may define (globs); empty: any group.
        pub allowed_crd_groups: Vec<String> = "allowedCRDGroups",
        /// Reject ExternalName Services whose `externalName` is a loopback, unspecified, link-local
        /// (instance metadata) or Azure platform (168.63.129.16) address or a `localhost` name.
        pub deny_local_external_names: bool = "denyLocalExternalNames",
        /// Reject every ExternalName Service.
        pub deny_external_name_services: bool = "denyExternalNameServices",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            denied_kinds: vec![DeniedKind {
                group: "aadpodidentity.k8s.io".into(),
                kind: "*".into(),
                reason: Some("AAD pod identity is retired; use Microsoft Entra Workload ID".into()),
                ..DeniedKind::default()
            }],
            allowed_crd_groups: Vec::new(),
            deny_local_external_names: true,
            deny_external_name_services: false,
            exemptions: Exemptions::default(),
        }
    }
}

policy_helpers::view! {
    /// One denied kind.
    #[derive(Debug, Clone, Default)]
    pub struct DeniedKind [deny_unknown_fields] {
        /// API group (`""` for core), exact or glob.
        pub group: String = "group",
        /// Kind, exact or glob (`*` for every kind of the group).
        pub kind: String = "kind",
        /// Namespaces (exact or glob) where it is denied; empty: everywhere, cluster-scoped kinds
        /// included.
        pub namespaces: Vec<String> = "namespaces",
        /// A subresource request to deny instead of the creation, e.g. `ephemeralcontainers` of
        /// `Pod` (`kubectl debug`).
        pub subresource: Option<String> = "subresource",
        /// Why, shown in the rejection.
        pub reason: Option<String> = "reason",
    }
}

/// A denied kind, compiled.
#[derive(Debug, Clone)]
pub struct CompiledKind {
    /// Index in `deniedKinds`, for messages.
    pub index: usize,
    /// `None` matches the core group only.
    pub group: Option<Glob>,
    /// The kind pattern.
    pub kind: Glob,
    /// The namespaces; empty matches everywhere.
    pub namespaces: Vec<Glob>,
    /// The subresource, if the entry is about one.
    pub subresource: Option<String>,
    /// The reason, if given.
    pub reason: Option<String>,
}

impl CompiledKind {
    /// Whether the entry matches a request for `group`/`kind` in `namespace` (empty for
    /// cluster-scoped) with `subresource`.
    pub fn matches(&self, group: &str, kind: &str, namespace: &str, sub: Option<&str>) -> bool {
        let group_ok = match &self.group {
            None => group.is_empty(),
            Some(g) => !group.is_empty() && g.matches(group),
        };
        group_ok
            && self.kind.matches(kind)
            && self.subresource.as_deref() == sub
            && (self.namespaces.is_empty()
                || (!namespace.is_empty() && self.namespaces.iter().any(|n| n.matches(namespace))))
    }
}

/// The settings, compiled.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The denied kinds.
    pub denied_kinds: Vec<CompiledKind>,
    /// The approved CRD groups (empty: any).
    pub allowed_crd_groups: Vec<Glob>,
}

impl Settings {
    /// Compiles the patterns.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn compile(&self) -> Result<Compiled, String> {
        let mut kinds = Vec::with_capacity(self.denied_kinds.len());
        for (i, k) in self.denied_kinds.iter().enumerate() {
            let key = format!("deniedKinds[{i}]");
            let group = if k.group.is_empty() {
                None
            } else {
                Some(Glob::new(&k.group).map_err(|e| format!("{key}.group: {e}"))?)
            };
            if k.kind.is_empty() {
                return Err(format!(
                    "{key}.kind is empty (use \"*\" for every kind of the group)"
                ));
            }
            let kind = Glob::new(&k.kind).map_err(|e| format!("{key}.kind: {e}"))?;
            let namespaces = k
                .namespaces
                .iter()
                .enumerate()
                .map(|(j, n)| Glob::new(n).map_err(|e| format!("{key}.namespaces[{j}]: {e}")))
                .collect::<Result<_, _>>()?;
            if let Some(s) = &k.subresource
                && (s.is_empty() || s.contains('/'))
            {
                return Err(format!(
                    "{key}.subresource: {s:?} is not a subresource name such as \"ephemeralcontainers\""
                ));
            }
            kinds.push(CompiledKind {
                index: i,
                group,
                kind,
                namespaces,
                subresource: k.subresource.clone(),
                reason: k.reason.clone().filter(|r| !r.is_empty()),
            });
        }
        let allowed_crd_groups = self
            .allowed_crd_groups
            .iter()
            .enumerate()
            .map(|(i, g)| Glob::new(g).map_err(|e| format!("allowedCRDGroups[{i}]: {e}")))
            .collect::<Result<_, _>>()?;
        Ok(Compiled {
            denied_kinds: kinds,
            allowed_crd_groups,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.denied_kinds.is_empty()
            && self.allowed_crd_groups.is_empty()
            && !self.deny_local_external_names
            && !self.deny_external_name_services
        {
            return Err("deniedKinds and allowedCRDGroups are empty and both ExternalName checks are off: the policy would check nothing".into());
        }
        self.compile().map(|_| ())
    }
}
