//! `unique-workload-identity` (catalogue row P20): every component has its own Entra workload
//! identity; a client id is never shared between ServiceAccounts (checked against the cluster)
//! or across environments.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct UniqueWorkloadIdentity;

impl Policy for UniqueWorkloadIdentity {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.12, ASB 3.9, PCI 8.1.1, PCI 8.1.2, PCI 8.5, PCI 8.6";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(UniqueWorkloadIdentity);
