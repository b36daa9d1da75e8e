//! Settings: allowed vaults and tenants, the identity modes tolerated, the client id match, and
//! the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::Glob;
use policy_helpers::identity::is_guid;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `keyvault-csi-workload-identity`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Key Vault names (exact or glob) a SecretProviderClass may read; empty allows any.
        pub allowed_key_vaults: Vec<String> = "allowedKeyVaults",
        /// Tenant ids (GUIDs) a SecretProviderClass may name; empty allows any.
        pub allowed_tenants: Vec<String> = "allowedTenants",
        /// Whether `useVMManagedIdentity: "true"` (the node's identity, shared by every pod on
        /// the node) is tolerated.
        pub allow_vm_managed_identity: bool = "allowVMManagedIdentity",
        /// Whether the clientID must equal the client id of the ServiceAccount of the pods that
        /// mount the class (checked against the cluster).
        pub require_client_id_match: bool = "requireClientIDMatch",
        /// Whether the ServiceAccounts of the mounting pods must also carry the
        /// `azure.workload.identity/client-id` annotation (default false: the driver's
        /// workload-identity flow needs only the class's `clientID` and a federated credential).
        pub require_service_account_annotation: bool = "requireServiceAccountAnnotation",
        /// Whether a CSI volume may pass service-principal credentials (`nodePublishSecretRef`).
        pub allow_node_publish_secret_ref: bool = "allowNodePublishSecretRef",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allowed_key_vaults: Vec::new(),
            allowed_tenants: Vec::new(),
            allow_vm_managed_identity: false,
            require_client_id_match: true,
            require_service_account_annotation: false,
            allow_node_publish_secret_ref: false,
            exemptions: Exemptions::default(),
        }
    }
}

impl Settings {
    /// The allowed vault names, compiled.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn vaults(&self) -> Result<Vec<Glob>, String> {
        self.allowed_key_vaults
            .iter()
            .enumerate()
            .map(|(i, v)| Glob::new(v).map_err(|e| format!("allowedKeyVaults[{i}]: {e}")))
            .collect()
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        self.vaults()?;
        for (i, t) in self.allowed_tenants.iter().enumerate() {
            if !is_guid(t) {
                return Err(format!(
                    "allowedTenants[{i}]: {t:?} is not a tenant id (GUID)"
                ));
            }
        }
        Ok(())
    }
}
