//! `no-host-namespaces` (catalogue row P04): no pod of any pod-bearing kind shares the node's
//! process (`hostPID`) or IPC (`hostIPC`) namespace; optionally no `shareProcessNamespace`.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct NoHostNamespaces;

impl Policy for NoHostNamespaces {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.3, PCI 7.1.2, PCI 7.2.1";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(NoHostNamespaces);
