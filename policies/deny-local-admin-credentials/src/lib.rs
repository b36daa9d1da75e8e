//! `deny-local-admin-credentials` (catalogue row P27): requests made with the AKS local-account
//! certificates are reported (audit) or rejected (deny), with a break-glass window.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Operation, Policy, Request, Verdict, export_policy};

/// The policy.
pub struct DenyLocalAdminCredentials;

impl Policy for DenyLocalAdminCredentials {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 3.3, ASB 3.9, ASB 2.3, PCI 8.5, PCI 8.1.1";
    const OPERATIONS: &'static [Operation] = &[
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Connect,
    ];

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(DenyLocalAdminCredentials);
