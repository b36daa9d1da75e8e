//! `restrict-cluster-admin-bindings` (catalogue row P28): `cluster-admin` (and `admin`/`edit`
//! cluster-wide) is bound only to allow-listed subjects, and no custom role grants everything.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Operation, Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictClusterAdminBindings;

impl Policy for RestrictClusterAdminBindings {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 3.1, ASB 3.3, ASB 4.6, PCI 7.1.2, PCI 7.2.3";
    const OPERATIONS: &'static [Operation] = rule::OPERATIONS;

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictClusterAdminBindings);
