//! Settings: the controller kinds allowed, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `no-bare-pods`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// Kinds a Pod's controller may have, e.g. `["ReplicaSet", "StatefulSet", "DaemonSet",
        /// "Job"]`; `apiGroup/Kind` restricts the group too (`apps/ReplicaSet`). Empty: any
        /// controller.
        pub allowed_controller_kinds: Vec<String> = "allowedControllerKinds",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        for (i, k) in self.allowed_controller_kinds.iter().enumerate() {
            let (group, kind) = k.rsplit_once('/').unwrap_or(("", k));
            let kind_ok = kind.starts_with(|c: char| c.is_ascii_uppercase())
                && kind.chars().all(|c| c.is_ascii_alphanumeric());
            let group_ok = !k.contains('/')
                || (!group.is_empty()
                    && group.bytes().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || b".-".contains(&c)
                    }));
            if !kind_ok || !group_ok {
                return Err(format!(
                    "allowedControllerKinds[{i}]: {k:?} is not a Kind or apiGroup/Kind (e.g. ReplicaSet, apps/ReplicaSet)"
                ));
            }
        }
        Ok(())
    }
}

/// Whether an owner `apiVersion`/`kind` matches an entry of `allowedControllerKinds`.
pub fn kind_allowed(entry: &str, api_version: &str, kind: &str) -> bool {
    match entry.rsplit_once('/') {
        Some((group, k)) => {
            let owner_group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
            k == kind && group == owner_group
        }
        None => entry == kind,
    }
}
