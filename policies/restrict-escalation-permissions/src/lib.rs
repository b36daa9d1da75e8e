//! `restrict-escalation-permissions` (catalogue row P30): no Role or ClusterRole grants the
//! permissions that lead past RBAC (escalate, bind, impersonate, token creation, nodes/proxy, CSR
//! approval, admission webhook writes, endpoints writes through `system:aggregate-to-edit`).
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Operation, Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictEscalationPermissions;

impl Policy for RestrictEscalationPermissions {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 4.6, ASB 3.3, PCI 7.1.2, PCI 7.2.3";
    const OPERATIONS: &'static [Operation] = rule::OPERATIONS;

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictEscalationPermissions);
