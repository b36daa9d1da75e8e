//! `run-as-non-root` (catalogue row P08): every container, init container and ephemeral
//! container of any pod-bearing kind runs as a non-root user: effective `runAsNonRoot: true`
//! (container value over pod value), no `runAsUser: 0` anywhere, optional ranges for users and
//! groups, and no Windows `ContainerAdministrator`. Optionally defaults `runAsNonRoot: true`.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RunAsNonRoot;

impl Policy for RunAsNonRoot {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.3, PCI 8.5, PCI 7.1.2";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RunAsNonRoot);
