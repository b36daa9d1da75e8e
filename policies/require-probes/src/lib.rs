//! `require-probes` (catalogue row A25, Azure's *Ensure cluster containers have readiness or
//! liveness probes configured*): every container of every pod-bearing kind must define the
//! required probes, each with a handler.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RequireProbes;

impl Policy for RequireProbes {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "reliability";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RequireProbes);
