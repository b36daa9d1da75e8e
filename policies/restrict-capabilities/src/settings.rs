//! Settings: the Pod Security Standards level, the capability lists it defaults, the
//! defaulting mode and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::capabilities::{normalise, normalise_list};
use policy_helpers::pss::{CapabilityRules, Level};
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `restrict-capabilities`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// `restricted` (default) or `baseline`: the defaults of the two lists below.
        pub level: Level = "level",
        /// Capabilities a container may add; `*` allows any. Default: the level's list.
        pub allowed_capabilities: Option<Vec<String>> = "allowedCapabilities",
        /// Capabilities every container must drop (`ALL` drops every one). Default: the level's.
        pub required_drop_capabilities: Option<Vec<String>> = "requiredDropCapabilities",
        /// Capabilities never added, even when allowed (`ALL`: no add at all).
        pub denied_capabilities: Vec<String> = "deniedCapabilities",
        /// Defaulting mode: append the missing required drops to `capabilities.drop` and return
        /// the mutated object instead of rejecting. Disallowed adds are still rejected.
        pub mutate: bool = "mutate",
        /// Common exemptions (namespaces, images, service accounts, users, groups).
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Settings {
    /// The lists in force: the explicit keys, else the level's defaults.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn lists(&self) -> Result<CapabilityRules, String> {
        let level = CapabilityRules::for_level(self.level);
        let allowed = match &self.allowed_capabilities {
            None => level.allowed,
            Some(list) => {
                if let Some(i) = list.iter().position(|c| normalise(c) == "ALL") {
                    return Err(format!(
                        "allowedCapabilities[{i}]: {:?} is ambiguous; write \"*\" to allow adding any capability",
                        list[i]
                    ));
                }
                let list = normalise_list("allowedCapabilities", list, true)?;
                if list.iter().any(|c| c == "*") {
                    None
                } else {
                    Some(list)
                }
            }
        };
        let required_drop = match &self.required_drop_capabilities {
            None => level.required_drop,
            Some(list) => normalise_list("requiredDropCapabilities", list, false)?,
        };
        let denied = normalise_list("deniedCapabilities", &self.denied_capabilities, false)?;
        Ok(CapabilityRules {
            allowed,
            required_drop,
            denied,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        self.lists().map(|_| ())
    }
}
