//! `restrict-permissive-networkpolicy` (catalogue row P44): `NetworkPolicy` rules may not open
//! everything: no peer-less rule outside the allowed ports, no `ipBlock` covering the whole
//! internet without `except`, no `namespaceSelector: {}` outside allowed namespaces, no egress
//! to the instance metadata endpoint.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictPermissiveNetworkpolicy;

impl Policy for RestrictPermissiveNetworkpolicy {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 1.1, ASB 1.4, ASB 4.3, PCI 7.2.3";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictPermissiveNetworkpolicy);
