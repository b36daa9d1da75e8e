//! `restrict-host-network-ports` (catalogue row P05): no pod of any pod-bearing kind uses the
//! node's network namespace (`hostNetwork`) unless allowed, every host port lies in an allowed
//! range (none by default), and no probe or lifecycle hook names another `host`.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictHostNetworkPorts;

impl Policy for RestrictHostNetworkPorts {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 1.1, ASB 7.3, PCI 7.1.2, PCI 7.2.3";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictHostNetworkPorts);
