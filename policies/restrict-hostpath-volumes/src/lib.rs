//! `restrict-hostpath-volumes` (catalogue row P06): a `hostPath` volume of any pod-bearing kind
//! must lie under an allowed path prefix (compared by path component), and when that prefix is
//! read-only every mount of the volume must be read-only. No `hostPath` at all by default.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictHostpathVolumes;

impl Policy for RestrictHostpathVolumes {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.3, ASB 4.2, PCI 7.1.2, PCI 7.2.1";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictHostpathVolumes);
