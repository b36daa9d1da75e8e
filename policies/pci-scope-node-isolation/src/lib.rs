//! `pci-scope-node-isolation` (catalogue row P52): workloads in namespaces labelled in scope
//! (`pci-scope=in-scope`) must be pinned to the in-scope node pools (node selector or required
//! node affinity, plus a toleration of the pools' taint); every other workload must neither
//! select nor tolerate them; `spec.nodeName` placement is refused.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct PciScopeNodeIsolation;

impl Policy for PciScopeNodeIsolation {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 4.2, ASB 6.13, PCI 7.2";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(PciScopeNodeIsolation);
