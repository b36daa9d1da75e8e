//! Settings: ServiceAccounts that may still have a legacy token Secret, whether
//! `ServiceAccount.secrets[]` is checked, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::identity::ServiceAccountPatterns;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `deny-legacy-sa-token-secrets`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// ServiceAccounts (`namespace/name` or `name`, globs) whose token Secrets are tolerated.
        pub allowed_service_accounts: Vec<String> = "allowedServiceAccounts",
        /// Whether ServiceAccounts listing Secrets in `secrets[]` are checked.
        pub check_service_account_secrets: bool = "checkServiceAccountSecrets",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allowed_service_accounts: Vec::new(),
            check_service_account_secrets: true,
            exemptions: Exemptions::default(),
        }
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
