//! `no-windows-hostprocess` (catalogue row P16): rejects Windows HostProcess pods and containers (pod and container windowsOptions.hostProcess) in every pod-bearing kind.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct NoWindowsHostprocess;

impl Policy for NoWindowsHostprocess {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.3, PCI 7.2.1";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(NoWindowsHostprocess);
