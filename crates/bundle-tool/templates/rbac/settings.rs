//! Settings: the common `exemptions` block and the permissions no role may grant.

use policy_helpers::prelude::*;

use policy_helpers::rbac::Permission;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `{{id}}`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Common exemptions (namespaces, users, groups; images and service accounts apply to
        /// pod-bearing kinds only, which this policy does not judge).
        pub exemptions: Exemptions = "exemptions",
        /// Permissions (groups x resources x verbs, `*` allowed) no Role or ClusterRole may grant.
        pub denied_permissions: Vec<Permission> = "deniedPermissions",
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            exemptions: Exemptions::default(),
            denied_permissions: vec![Permission::new(&["*"], &["*"], &["deletecollection"])],
        }
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.denied_permissions.is_empty() {
            return Err("deniedPermissions is empty: the policy would check nothing".into());
        }
        for (i, p) in self.denied_permissions.iter().enumerate() {
            p.validate(&format!("deniedPermissions[{i}]"))?;
        }
        Ok(())
    }
}
