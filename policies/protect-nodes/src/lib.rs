//! `protect-nodes` (catalogue row P35): Node labels and taints that place workloads (AKS
//! system labels, `pci-scope`, `CriticalAddonsOnly`) are changed only by the kubelet and the AKS
//! control plane; Node deletions by users are recorded.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Operation, Policy, Request, Verdict, export_policy};

/// The policy.
pub struct ProtectNodes;

impl Policy for ProtectNodes {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.3, ASB 6.3, PCI 7.2.1, PCI 7.2";
    const OPERATIONS: &'static [Operation] = rule::OPERATIONS;

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(ProtectNodes);
