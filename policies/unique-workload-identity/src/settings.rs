//! Settings: client ids that may be shared, the namespace label naming the environment, the
//! pod identity v1 switch, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::identity::is_guid;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `unique-workload-identity`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Client ids that several ServiceAccounts may carry (still never across environments).
        pub allow_shared_client_ids: Vec<String> = "allowSharedClientIDs",
        /// Namespace label whose value is the environment (e.g. `environment`: prod, staging).
        pub environment_label_key: Option<String> = "environmentLabelKey",
        /// Whether AAD pod identity (v1) objects and the `aadpodidbinding` label are denied.
        pub deny_pod_identity_v1: bool = "denyPodIdentityV1",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allow_shared_client_ids: Vec::new(),
            environment_label_key: None,
            deny_pod_identity_v1: true,
            exemptions: Exemptions::default(),
        }
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        for (i, id) in self.allow_shared_client_ids.iter().enumerate() {
            if !is_guid(id) {
                return Err(format!(
                    "allowSharedClientIDs[{i}]: {id:?} is not a client id (GUID)"
                ));
            }
        }
        if let Some(k) = &self.environment_label_key
            && (k.is_empty() || k.contains(char::is_whitespace))
        {
            return Err(format!("environmentLabelKey: {k:?} is not a label key"));
        }
        Ok(())
    }
}
