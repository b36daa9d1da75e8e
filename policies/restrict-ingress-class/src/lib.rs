//! `restrict-ingress-class` (catalogue row P41): an `Ingress` must name an approved ingress class
//! (for example the WAF-backed Application Gateway), explicitly; new `IngressClass` objects are
//! limited to the approved names and controllers.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictIngressClass;

impl Policy for RestrictIngressClass {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 1.3, ASB 1.6, ASB 1.7";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictIngressClass);
