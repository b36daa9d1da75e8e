//! `disable-automount-sa-token` (catalogue row P18): no pod receives a ServiceAccount token it
//! does not need; the effective setting is resolved from the pod and, when the pod leaves it
//! unset, from its ServiceAccount read through the engine (context-aware).
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct DisableAutomountSaToken;

impl Policy for DisableAutomountSaToken {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.12, PCI 7.1.2, PCI 7.2.3";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(DisableAutomountSaToken);
