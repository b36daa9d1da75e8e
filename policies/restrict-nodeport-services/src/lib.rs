//! `restrict-nodeport-services` (catalogue row P37): no `Service` of type `NodePort` outside the
//! allowed namespaces, so workloads are not published on every node's address.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictNodePortServices;

impl Policy for RestrictNodePortServices {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 1.1, PCI 7.2.3";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictNodePortServices);
