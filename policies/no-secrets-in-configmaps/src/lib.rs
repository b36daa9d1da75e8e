//! `no-secrets-in-configmaps` (catalogue row P24): ConfigMaps are not Secrets; no key or value
//! of one may carry credential material.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct NoSecretsInConfigmaps;

impl Policy for NoSecretsInConfigmaps {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.13, ASB 7.11, PCI 8.2.1, PCI 8.7";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(NoSecretsInConfigmaps);
