//! `restrict-ephemeral-and-node-debug` (catalogue row P34): applies the pod security checks to ephemeral containers added by kubectl debug, restricts them per namespace and image, and rejects node-debugging pods (host namespaces with the node root mounted) outside break-glass.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictEphemeralAndNodeDebug;

impl Policy for RestrictEphemeralAndNodeDebug {
    type Settings = settings::Settings;
    const CONTROLS: &'static str =
        "ASB 6.12, PCI 7.2.1, PCI 8.1.6, PCI 8.1.7, PCI 8.1.8, PCI 8.1.5";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictEphemeralAndNodeDebug);
