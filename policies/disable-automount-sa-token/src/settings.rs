//! Settings: what is checked (pods, ServiceAccounts or both), ServiceAccounts allowed to have
//! tokens mounted, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::identity::ServiceAccountPatterns;
use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// Which objects are checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Pod-bearing kinds only.
    Pod,
    /// ServiceAccount objects only.
    Serviceaccount,
    /// Both.
    #[default]
    Both,
}

policy_helpers::decode_by_serde!(Scope);

policy_helpers::view! {
    /// Settings of `disable-automount-sa-token`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// `pod`, `serviceaccount` or `both` (default).
        pub scope: Scope = "scope",
        /// ServiceAccounts (`namespace/name` or `name`, globs) whose pods may have the token
        /// mounted (operators and controllers that call the API).
        pub allowed_service_accounts: Vec<String> = "allowedServiceAccounts",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Settings {
    /// The allowed ServiceAccounts, compiled.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn allowed(&self) -> Result<ServiceAccountPatterns, String> {
        ServiceAccountPatterns::new("allowedServiceAccounts", &self.allowed_service_accounts)
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        self.allowed().map(|_| ())
    }
}
