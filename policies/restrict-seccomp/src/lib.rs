//! `restrict-seccomp` (catalogue row P10): requires an allowed seccomp profile (RuntimeDefault or Localhost) for every container of every pod-bearing kind, from the field or the legacy annotations, with optional defaulting to RuntimeDefault.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictSeccomp;

impl Policy for RestrictSeccomp {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.3, PCI 7.1.2";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictSeccomp);
