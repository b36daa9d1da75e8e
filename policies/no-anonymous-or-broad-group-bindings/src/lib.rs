//! `no-anonymous-or-broad-group-bindings` (catalogue row P32): no binding grants a role to
//! anonymous or unauthenticated requests, to every authenticated user or to every service account,
//! beyond the upstream discovery roles.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Operation, Policy, Request, Verdict, export_policy};

/// The policy.
pub struct NoAnonymousOrBroadGroupBindings;

impl Policy for NoAnonymousOrBroadGroupBindings {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 3.3, ASB 4.6, PCI 7.2.3, PCI 8.5";
    const OPERATIONS: &'static [Operation] = rule::OPERATIONS;

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(NoAnonymousOrBroadGroupBindings);
