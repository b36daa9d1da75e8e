//! `keyvault-csi-workload-identity` (catalogue row P21): Key Vault secrets reach pods through the
//! Secrets Store CSI driver with each workload's own identity, checked against the cluster.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct KeyvaultCsiWorkloadIdentity;

impl Policy for KeyvaultCsiWorkloadIdentity {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.11, ASB 7.12, PCI 8.1.1, PCI 8.6, PCI 8.7";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(KeyvaultCsiWorkloadIdentity);
