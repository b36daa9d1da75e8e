//! `service-allowed-ports` (catalogue row P39): `Service` ports (and optionally target ports)
//! must be in the allowed ports and ranges; optionally every container port of every pod-bearing
//! kind too.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct ServiceAllowedPorts;

impl Policy for ServiceAllowedPorts {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 1.9, ASB 1.1, PCI 7.2.3";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(ServiceAllowedPorts);
