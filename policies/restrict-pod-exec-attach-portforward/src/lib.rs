//! `restrict-pod-exec-attach-portforward` (catalogue row P33): `kubectl exec`, `attach` and
//! `port-forward` are denied in protected namespaces except for break-glass identities, and every
//! allowed one is recorded; roles granting them are reported.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Operation, Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictPodExecAttachPortforward;

impl Policy for RestrictPodExecAttachPortforward {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 6.12, ASB 2.10, ASB 3.7, PCI 7.1.2, PCI 7.2.1, PCI 8.1.5";
    const OPERATIONS: &'static [Operation] = rule::OPERATIONS;

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictPodExecAttachPortforward);
