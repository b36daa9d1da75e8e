//! `restrict-secret-read-roles` (catalogue row P31): no Role or ClusterRole can list or watch
//! Secrets (which returns their contents); `get` is recorded.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Operation, Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictSecretReadRoles;

impl Policy for RestrictSecretReadRoles {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 4.6, ASB 7.11, PCI 7.1.2, PCI 8.7";
    const OPERATIONS: &'static [Operation] = rule::OPERATIONS;

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictSecretReadRoles);
