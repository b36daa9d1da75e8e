//! `restrict-runtime-class` (catalogue row P17): restricts spec.runtimeClassName per namespace (for example a sandboxed class for untrusted or in-scope workloads) and denies reserved runtime classes, in every pod-bearing kind.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictRuntimeClass;

impl Policy for RestrictRuntimeClass {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 6.13, ASB 4.2";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictRuntimeClass);
