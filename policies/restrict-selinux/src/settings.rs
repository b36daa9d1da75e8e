//! Settings: the allowed SELinux types, users and roles, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::pss::{SELINUX_TYPES, SeLinuxPolicy};
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `restrict-selinux`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Allowed `seLinuxOptions.type` values (default: the PSS container types); unset and empty
        /// are always allowed.
        pub allowed_types: Vec<String> = "allowedTypes",
        /// Allowed `seLinuxOptions.user` values (default none: the user must be unset).
        pub allowed_users: Vec<String> = "allowedUsers",
        /// Allowed `seLinuxOptions.role` values (default none: the role must be unset).
        pub allowed_roles: Vec<String> = "allowedRoles",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            allowed_types: SELINUX_TYPES.iter().map(|s| s.to_string()).collect(),
            allowed_users: Vec::new(),
            allowed_roles: Vec::new(),
            exemptions: Exemptions::default(),
        }
    }
}

impl Settings {
    /// The SELinux policy these settings describe.
    pub fn policy(&self) -> SeLinuxPolicy {
        SeLinuxPolicy {
            types: self.allowed_types.clone(),
            users: self.allowed_users.clone(),
            roles: self.allowed_roles.clone(),
        }
    }
}

fn names(key: &str, list: &[String]) -> Result<(), String> {
    for (i, v) in list.iter().enumerate() {
        if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c == ':') {
            return Err(format!(
                "{key}[{i}]: {v:?} is not an SELinux name (no spaces, colons or empty names)"
            ));
        }
    }
    Ok(())
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        names("allowedTypes", &self.allowed_types)?;
        names("allowedUsers", &self.allowed_users)?;
        names("allowedRoles", &self.allowed_roles)
    }
}
