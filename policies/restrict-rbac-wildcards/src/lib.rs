//! `restrict-rbac-wildcards` (catalogue row P29): Role and ClusterRole rules name what they
//! grant; wildcards (and verb lists that spell out every verb) are refused.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Operation, Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictRbacWildcards;

impl Policy for RestrictRbacWildcards {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 4.6, ASB 3.3, PCI 7.1.2, PCI 7.2.3";
    const OPERATIONS: &'static [Operation] = rule::OPERATIONS;

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictRbacWildcards);
