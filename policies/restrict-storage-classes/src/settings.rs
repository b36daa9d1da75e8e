//! Settings: approved provisioners and classes, the disk-encryption-set requirement, hostPath
//! PersistentVolumes, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::{Glob, compile_list};
use policy_helpers::{Exemptions, PolicySettings};

/// The Azure CSI drivers AKS ships.
pub const AZURE_CSI: &[&str] = &[
    "disk.csi.azure.com",
    "file.csi.azure.com",
    "blob.csi.azure.com",
];

policy_helpers::view! {
    /// Settings of `restrict-storage-classes`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Provisioners a StorageClass may use and CSI drivers a PersistentVolume may name (exact
        /// or glob). Default: the Azure Disk, Azure Files and Azure Blob CSI drivers.
        pub allowed_provisioners: Vec<String> = "allowedProvisioners",
        /// Azure Disk (`disk.csi.azure.com`) StorageClasses must name a disk encryption set
        /// (`parameters.diskEncryptionSetID`), so volumes are encrypted with customer-managed keys.
        pub require_disk_encryption_set: bool = "requireDiskEncryptionSet",
        /// Storage classes claims may use (exact or glob); empty: any class.
        pub allowed_storage_classes: Vec<String> = "allowedStorageClasses",
        /// Allow `hostPath` PersistentVolumes.
        pub allow_host_path_volumes: bool = "allowHostPathVolumes",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allowed_provisioners: AZURE_CSI.iter().map(|s| s.to_string()).collect(),
            require_disk_encryption_set: false,
            allowed_storage_classes: Vec::new(),
            allow_host_path_volumes: false,
            exemptions: Exemptions::default(),
        }
    }
}

/// The patterns, compiled.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// Approved provisioners.
    pub provisioners: Vec<Glob>,
    /// Approved classes (empty: any).
    pub classes: Vec<Glob>,
}

impl Settings {
    /// Compiles the patterns.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn compile(&self) -> Result<Compiled, String> {
        Ok(Compiled {
            provisioners: compile_list("allowedProvisioners", &self.allowed_provisioners)?,
            classes: compile_list("allowedStorageClasses", &self.allowed_storage_classes)?,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.allowed_provisioners.is_empty() {
            return Err(
                "allowedProvisioners is empty: no StorageClass could be created; list the CSI drivers to allow (e.g. disk.csi.azure.com)"
                    .into(),
            );
        }
        self.compile().map(|_| ())
    }
}
