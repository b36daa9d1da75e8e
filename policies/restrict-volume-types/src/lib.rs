//! `restrict-volume-types` (catalogue row P15): allows only the Pod Security Standards restricted volume types (or an allow-list), with flexVolume and inline CSI driver allow-lists, in every pod-bearing kind.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictVolumeTypes;

impl Policy for RestrictVolumeTypes {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.3, ASB 7.11, PCI 8.7";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictVolumeTypes);
