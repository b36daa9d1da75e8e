//! `ingress-host-hygiene` (catalogue row P42): every `Ingress` rule names a host (no catch-all),
//! wildcards only where allowed, hosts inside the allowed domains, and (context-aware, through the
//! Kubernetes host capability) no host and path another Ingress of the same class already serves.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct IngressHostHygiene;

impl Policy for IngressHostHygiene {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 1.3, ASB 1.7";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(IngressHostHygiene);
