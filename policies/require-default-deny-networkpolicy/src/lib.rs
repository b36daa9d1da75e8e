//! `require-default-deny-networkpolicy` (catalogue row P43, context-aware): through the
//! Kubernetes host capability, workloads are admitted only into namespaces that have a
//! default-deny `NetworkPolicy` (every pod selected, Ingress and Egress, nothing allowed but
//! optionally DNS), the last such policy of a namespace cannot be deleted or weakened, and
//! namespaces can be audited for one.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Operation, Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RequireDefaultDenyNetworkpolicy;

impl Policy for RequireDefaultDenyNetworkpolicy {
    type Settings = settings::Settings;
    const CONTROLS: &'static str =
        "ASB 1.1, ASB 1.4, ASB 1.7, ASB 4.2, ASB 4.3, PCI 7.2.3, PCI 7.2.1";
    const OPERATIONS: &'static [Operation] =
        &[Operation::Create, Operation::Update, Operation::Delete];

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RequireDefaultDenyNetworkpolicy);
