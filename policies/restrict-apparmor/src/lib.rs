//! `restrict-apparmor` (catalogue row P11): allows only RuntimeDefault or allow-listed Localhost AppArmor profiles, from the appArmorProfile field and the legacy annotation, in every pod-bearing kind.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictApparmor;

impl Policy for RestrictApparmor {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.3";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictApparmor);
