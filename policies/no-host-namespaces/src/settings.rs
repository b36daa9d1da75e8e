//! Settings: which host namespaces are allowed, and the common exemptions.

use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// Settings of `no-host-namespaces`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Settings {
    /// Allow `hostPID: true` (default `false`).
    #[serde(rename = "allowHostPID")]
    pub allow_host_pid: bool,
    /// Allow `hostIPC: true` (default `false`).
    #[serde(rename = "allowHostIPC")]
    pub allow_host_ipc: bool,
    /// Also refuse `shareProcessNamespace: true` (default `false`: the Pod Security Standards
    /// allow it).
    pub deny_share_process_namespace: bool,
    /// Common exemptions (namespaces, images, service accounts, users, groups).
    pub exemptions: Exemptions,
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }
}
