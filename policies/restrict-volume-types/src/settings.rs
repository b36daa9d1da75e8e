//! Settings: allowed volume types, flexVolume and inline CSI drivers, and the common
//! exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::{Glob, compile_list};
use policy_helpers::pss::RESTRICTED_VOLUME_TYPES;
use policy_helpers::{Exemptions, PolicySettings};

/// Every volume source a pod spec can carry (`spec.volumes[]` keys besides `name`).
pub const KNOWN_VOLUME_TYPES: &[&str] = &[
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "gitRepo",
    "glusterfs",
    "hostPath",
    "image",
    "iscsi",
    "nfs",
    "persistentVolumeClaim",
    "photonPersistentDisk",
    "portworxVolume",
    "projected",
    "quobyte",
    "rbd",
    "scaleIO",
    "secret",
    "storageos",
    "vsphereVolume",
];

policy_helpers::view! {
    /// Settings of `restrict-volume-types`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Allowed volume types (default: the PSS restricted set); `*` allows every type.
        pub allowed_volume_types: Vec<String> = "allowedVolumeTypes",
        /// Allowed `flexVolume.driver` names (globs), when `flexVolume` is allowed; empty allows
        /// every driver.
        pub allowed_flex_volume_drivers: Vec<String> = "allowedFlexVolumeDrivers",
        /// Allowed `csi.driver` names of inline CSI volumes (globs); empty allows every driver.
        pub allowed_csi_drivers: Vec<String> = "allowedCSIDrivers",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            allowed_volume_types: RESTRICTED_VOLUME_TYPES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            allowed_flex_volume_drivers: Vec::new(),
            allowed_csi_drivers: Vec::new(),
            exemptions: Exemptions::default(),
        }
    }
}

/// The driver lists compiled for matching.
#[derive(Debug, Default)]
pub struct Compiled {
    /// Allowed flexVolume drivers.
    pub flex: Vec<Glob>,
    /// Allowed inline CSI drivers.
    pub csi: Vec<Glob>,
}

impl Settings {
    /// Whether a volume type is allowed.
    pub fn allows(&self, kind: &str) -> bool {
        self.allowed_volume_types
            .iter()
            .any(|t| t == "*" || t == kind)
    }

    /// Compiles the driver lists.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn compile(&self) -> Result<Compiled, String> {
        Ok(Compiled {
            flex: compile_list(
                "allowedFlexVolumeDrivers",
                &self.allowed_flex_volume_drivers,
            )?,
            csi: compile_list("allowedCSIDrivers", &self.allowed_csi_drivers)?,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.allowed_volume_types.is_empty() {
            return Err("allowedVolumeTypes is empty: no volume would be allowed; \
                 list the allowed types (e.g. configMap, secret, emptyDir, persistentVolumeClaim)"
                .into());
        }
        for (i, t) in self.allowed_volume_types.iter().enumerate() {
            if t != "*" && !KNOWN_VOLUME_TYPES.contains(&t.as_str()) {
                return Err(format!(
                    "allowedVolumeTypes[{i}]: {t:?} is not a volume type (e.g. configMap, persistentVolumeClaim, hostPath)"
                ));
            }
        }
        if !self.allowed_flex_volume_drivers.is_empty() && !self.allows("flexVolume") {
            return Err(
                "allowedFlexVolumeDrivers is set but allowedVolumeTypes does not allow flexVolume"
                    .into(),
            );
        }
        if !self.allowed_csi_drivers.is_empty() && !self.allows("csi") {
            return Err(
                "allowedCSIDrivers is set but allowedVolumeTypes does not allow csi".into(),
            );
        }
        self.compile().map(|_| ())
    }
}
