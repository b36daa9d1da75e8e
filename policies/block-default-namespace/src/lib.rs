//! `block-default-namespace` (catalogue row P50): namespaced objects may not be created in the
//! `default` namespace (or any denied namespace); the objects Kubernetes itself keeps there are
//! allowed.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct BlockDefaultNamespace;

impl Policy for BlockDefaultNamespace {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 4.2, ASB 6.13";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(BlockDefaultNamespace);
