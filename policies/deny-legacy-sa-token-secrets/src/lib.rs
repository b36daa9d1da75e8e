//! `deny-legacy-sa-token-secrets` (catalogue row P25): no new long-lived ServiceAccount token
//! Secrets, and no ServiceAccount granting Secrets through `secrets[]`.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct DenyLegacySaTokenSecrets;

impl Policy for DenyLegacySaTokenSecrets {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.12, ASB 3.10, PCI 8.1.2, PCI 8.2, PCI 8.6";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(DenyLegacySaTokenSecrets);
