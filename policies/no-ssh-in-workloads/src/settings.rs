//! Settings: the SSH ports and port names, and what to do about SSH servers in images and
//! commands.

use policy_helpers::prelude::*;

use policy_helpers::net::PortSet;
use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// What to do when an image or a command looks like an SSH server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SshdAction {
    /// Accept with a warning (the default: names are a heuristic).
    Warn,
    /// Reject.
    Deny,
    /// Do not look.
    Ignore,
}

policy_helpers::decode_by_serde!(SshdAction);

policy_helpers::view! {
    /// Settings of `no-ssh-in-workloads`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Ports, ranges and port names refused in containers and Services
        /// (default `[22, 2222, "ssh"]`).
        pub denied_ports: PortSet = "deniedPorts",
        /// What to do with images and commands that start an SSH server (default `warn`).
        pub sshd_action: SshdAction = "sshdAction",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            denied_ports: PortSet(vec![
                policy_helpers::net::PortSpec::Range(22, 22),
                policy_helpers::net::PortSpec::Range(2222, 2222),
                policy_helpers::net::PortSpec::Name("ssh".into()),
            ]),
            sshd_action: SshdAction::Warn,
            exemptions: Exemptions::default(),
        }
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.denied_ports.is_empty() {
            return Err("deniedPorts is empty: the policy would check no port".into());
        }
        Ok(())
    }
}
