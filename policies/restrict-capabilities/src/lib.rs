//! `restrict-capabilities` (catalogue row P03): the Linux capabilities every container, init
//! container and ephemeral container of any pod-bearing kind adds come from an allow-list and
//! never from a deny-list, and it drops the required ones (`ALL` by default, the Pod Security
//! Standards `restricted` level). Optionally adds the missing drops instead of rejecting.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictCapabilities;

impl Policy for RestrictCapabilities {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.3, PCI 7.1.2";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictCapabilities);
