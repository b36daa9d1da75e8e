//! `deny-sensitive-host-mounts` (catalogue row P07): no `hostPath` volume of any pod-bearing
//! kind, and no `hostPath` or `local` PersistentVolume, may expose a sensitive node path: the
//! container runtime sockets, `/etc/kubernetes` (the node's cloud credentials), the kubelet's
//! state, `/proc`, `/sys`, `/etc`, `/root`, SSH keys. A path matches when it is at, under or
//! above a denied path.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct DenySensitiveHostMounts;

impl Policy for DenySensitiveHostMounts {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.3, ASB 7.11, ASB 7.13, PCI 7.2.1, PCI 8.1.1, PCI 8.7";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(DenySensitiveHostMounts);
