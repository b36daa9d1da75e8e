//! `no-secrets-in-env` (catalogue row P22): no container, init container or ephemeral container
//! may carry credential material as a literal environment variable (or, optionally, argument).
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct NoSecretsInEnv;

impl Policy for NoSecretsInEnv {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.11, ASB 7.13, PCI 8.7, PCI 8.2.1";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(NoSecretsInEnv);
