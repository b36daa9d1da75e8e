//! Settings: which host namespaces are allowed, and the common exemptions.

use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `no-host-namespaces`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// Allow `hostPID: true` (default `false`).
        pub allow_host_pid: bool = "allowHostPID",
        /// Allow `hostIPC: true` (default `false`).
        pub allow_host_ipc: bool = "allowHostIPC",
        /// Also refuse `shareProcessNamespace: true` (default `false`: the Pod Security Standards
        /// allow it).
        pub deny_share_process_namespace: bool = "denyShareProcessNamespace",
        /// Common exemptions (namespaces, images, service accounts, users, groups).
        pub exemptions: Exemptions = "exemptions",
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }
}
