//! `no-ssh-in-workloads` (catalogue row P45): no container or Service may offer SSH (ports 22,
//! 2222 or named `ssh`); images and commands that start an SSH server are reported.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct NoSshInWorkloads;

impl Policy for NoSshInWorkloads {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 6.12, PCI 7.2.1, PCI 8.1.6, PCI 8.1.7, PCI 8.1.8, PCI 8.5";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(NoSshInWorkloads);
