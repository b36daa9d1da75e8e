//! Settings: the protected objects, the identities allowed to change them, the configuration
//! keys that must stay on, Events, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::{Glob, compile_list};
use policy_helpers::{Exemptions, PolicySettings};

/// The kinds this policy is routed for, with their API group and whether they are namespaced.
pub const KINDS: &[(&str, &str, bool)] = &[
    ("apps", "DaemonSet", true),
    ("apps", "Deployment", true),
    ("apps", "StatefulSet", true),
    ("apps", "ReplicaSet", true),
    ("", "ConfigMap", true),
    ("", "Namespace", false),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
        false,
    ),
];

policy_helpers::view! {
    /// Settings of `protect-security-tooling`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// The objects only allowed identities may change or delete.
        pub protected_objects: Vec<ProtectedObject> = "protectedObjects",
        /// Users allowed to change and delete protected objects and Events (exact or glob).
        pub allowed_users: Vec<String> = "allowedUsers",
        /// Groups whose members are allowed the same (exact or glob).
        pub allowed_groups: Vec<String> = "allowedGroups",
        /// Settings in protected ConfigMaps that must keep their value, for everybody.
        pub protected_config_keys: Vec<ProtectedKey> = "protectedConfigKeys",
        /// Only allowed identities may delete Events (core and `events.k8s.io`).
        pub protect_events: bool = "protectEvents",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

policy_helpers::view! {
    /// One protected object (or set of objects, with globs).
    #[derive(Debug, Clone, Default)]
    pub struct ProtectedObject [deny_unknown_fields] {
        /// One of the kinds in [`KINDS`].
        pub kind: String = "kind",
        /// Namespace (exact or glob); must be empty for cluster-scoped kinds.
        pub namespace: String = "namespace",
        /// Name (exact or glob).
        pub name: String = "name",
    }
}

policy_helpers::view! {
    /// A setting of a ConfigMap's TOML data key that must keep a value.
    #[derive(Debug, Clone, Default)]
    pub struct ProtectedKey [deny_unknown_fields] {
        /// The ConfigMap's namespace.
        pub namespace: String = "namespace",
        /// The ConfigMap's name.
        pub name: String = "name",
        /// The `data` key holding the configuration.
        pub key: String = "key",
        /// The TOML table of the setting: its names separated by dots, as in a `[section]` header.
        pub section: String = "section",
        /// The setting.
        pub setting: String = "setting",
        /// The value it must have when it is set.
        pub value: String = "value",
    }
}

fn object(kind: &str, namespace: &str, name: &str) -> ProtectedObject {
    ProtectedObject {
        kind: kind.into(),
        namespace: namespace.into(),
        name: name.into(),
    }
}

fn log_switch(section: &str) -> ProtectedKey {
    ProtectedKey {
        namespace: "kube-system".into(),
        name: "container-azm-ms-agentconfig".into(),
        key: "log-data-collection-settings".into(),
        section: section.into(),
        setting: "enabled".into(),
        value: "true".into(),
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            protected_objects: vec![
                // Azure Monitor agent (Container insights) and managed Prometheus.
                object("DaemonSet", "kube-system", "ama-logs*"),
                object("Deployment", "kube-system", "ama-logs*"),
                object("DaemonSet", "kube-system", "ama-metrics*"),
                object("Deployment", "kube-system", "ama-metrics*"),
                object("ConfigMap", "kube-system", "container-azm-ms-agentconfig"),
                // Microsoft Defender for Containers.
                object("DaemonSet", "kube-system", "microsoft-defender-*"),
                object("Deployment", "kube-system", "microsoft-defender-*"),
                // Falco and the admission controller, in their usual namespaces.
                object("DaemonSet", "falco", "*"),
                object("Namespace", "", "falco"),
                object("Deployment", "kubewarden", "*"),
                object("Namespace", "", "kubewarden"),
            ],
            allowed_users: vec![
                "aksService".into(),
                "system:serviceaccount:kube-system:*".into(),
                "system:serviceaccount:kubewarden:*".into(),
            ],
            allowed_groups: Vec::new(),
            protected_config_keys: vec![
                log_switch("log_collection_settings.stdout"),
                log_switch("log_collection_settings.stderr"),
            ],
            protect_events: true,
            exemptions: Exemptions::default(),
        }
    }
}

/// A protected object, compiled.
#[derive(Debug, Clone)]
pub struct CompiledObject {
    /// Index in `protectedObjects`.
    pub index: usize,
    /// API group of the kind.
    pub group: &'static str,
    /// The kind.
    pub kind: String,
    /// Namespace pattern (`None` for cluster-scoped kinds).
    pub namespace: Option<Glob>,
    /// Name pattern.
    pub name: Glob,
}

/// The settings, compiled.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The protected objects.
    pub objects: Vec<CompiledObject>,
    /// Allowed users.
    pub users: Vec<Glob>,
    /// Allowed groups.
    pub groups: Vec<Glob>,
}

impl Settings {
    /// Compiles the patterns.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn compile(&self) -> Result<Compiled, String> {
        let mut objects = Vec::with_capacity(self.protected_objects.len());
        for (i, o) in self.protected_objects.iter().enumerate() {
            let key = format!("protectedObjects[{i}]");
            let Some((group, _, namespaced)) = KINDS.iter().find(|(_, k, _)| *k == o.kind) else {
                let kinds: Vec<&str> = KINDS.iter().map(|(_, k, _)| *k).collect();
                return Err(format!(
                    "{key}.kind: {:?} is not one of the kinds this policy is routed for ({})",
                    o.kind,
                    kinds.join(", ")
                ));
            };
            let namespace = if *namespaced {
                Some(Glob::new(&o.namespace).map_err(|e| format!("{key}.namespace: {e}"))?)
            } else if o.namespace.is_empty() {
                None
            } else {
                return Err(format!(
                    "{key}.namespace: {} is cluster-scoped, leave namespace empty",
                    o.kind
                ));
            };
            objects.push(CompiledObject {
                index: i,
                group,
                kind: o.kind.clone(),
                namespace,
                name: Glob::new(&o.name).map_err(|e| format!("{key}.name: {e}"))?,
            });
        }
        Ok(Compiled {
            objects,
            users: compile_list("allowedUsers", &self.allowed_users)?,
            groups: compile_list("allowedGroups", &self.allowed_groups)?,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        self.compile()?;
        for (i, k) in self.protected_config_keys.iter().enumerate() {
            for (field, v) in [
                ("namespace", &k.namespace),
                ("name", &k.name),
                ("key", &k.key),
                ("section", &k.section),
                ("setting", &k.setting),
                ("value", &k.value),
            ] {
                if v.is_empty() {
                    return Err(format!("protectedConfigKeys[{i}].{field} is empty"));
                }
            }
        }
        if self.protected_objects.is_empty()
            && self.protected_config_keys.is_empty()
            && !self.protect_events
        {
            return Err("protectedObjects and protectedConfigKeys are empty and protectEvents is false: the policy would check nothing".into());
        }
        Ok(())
    }
}
