//! `required-metadata` (catalogue row P51): per-kind required labels and annotations with value
//! patterns, labels that must equal the namespace's (the `pci-scope` convention of the PCI
//! reference implementation), and denied keys (labels that would exempt a namespace from
//! admission control).
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RequiredMetadata;

impl Policy for RequiredMetadata {
    type Settings = settings::Settings;
    const CONTROLS: &'static str =
        "ASB 1.10, ASB 4.1, ASB 6.2, ASB 6.3, ASB 10.4, PCI 7.1.1, PCI 7.1.4, PCI 7.3, PCI 8.8";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RequiredMetadata);
