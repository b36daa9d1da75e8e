//! `no-privilege-escalation` (catalogue row P02): every container, init container and ephemeral
//! container of any pod-bearing kind sets `securityContext.allowPrivilegeEscalation: false`, and
//! none is privileged or adds `CAP_SYS_ADMIN` (either makes escalation always possible).
//! Optionally defaults the unset field to `false` instead of rejecting.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct NoPrivilegeEscalation;

impl Policy for NoPrivilegeEscalation {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.3, PCI 7.1.2, PCI 8.5";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(NoPrivilegeEscalation);
