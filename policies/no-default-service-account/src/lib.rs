//! `no-default-service-account` (catalogue row P19): every workload has its own identity; the
//! namespace `default` ServiceAccount runs nothing and is granted nothing.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct NoDefaultServiceAccount;

impl Policy for NoDefaultServiceAccount {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 3.1, ASB 7.12, PCI 8.1.1, PCI 8.5, PCI 8.6";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(NoDefaultServiceAccount);
