//! `protect-security-tooling` (catalogue row P58): the DaemonSets, Deployments, ConfigMaps,
//! namespaces and webhook configurations of the cluster's security and monitoring tooling may
//! be changed or deleted only by allowed identities; nobody may switch log collection off in
//! the agents' configuration; Events may not be deleted by users.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod config;
pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Operation, Policy, Request, Verdict, export_policy};

/// The policy.
pub struct ProtectSecurityTooling;

impl Policy for ProtectSecurityTooling {
    type Settings = settings::Settings;
    const CONTROLS: &'static str =
        "ASB 2.2, ASB 2.3, ASB 2.6, ASB 2.7, ASB 2.8, ASB 8.1, ASB 8.3, PCI 7.1.2, PCI 7.2.2";
    const OPERATIONS: &'static [Operation] =
        &[Operation::Create, Operation::Update, Operation::Delete];

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(ProtectSecurityTooling);
