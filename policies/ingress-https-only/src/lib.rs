//! `ingress-https-only` (catalogue row P40): every host of an `Ingress` is covered by TLS and
//! plain HTTP is disabled or redirected, as the Ingress's controller understands it (Application
//! Gateway Ingress Controller, ingress-nginx, GCE-style `allow-http`); unknown controllers are
//! refused by default. Gateway API listeners must be HTTPS or TLS.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct IngressHttpsOnly;

impl Policy for IngressHttpsOnly {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 4.4, ASB 1.9, ASB 7.1, ASB 1.7, PCI 8.2.1";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(IngressHttpsOnly);
