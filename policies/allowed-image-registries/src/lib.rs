//! `allowed-image-registries` (catalogue row P46): every container, init container and
//! ephemeral container image must come from an allowed registry or match an allowed image
//! pattern, and must not match a denied one.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct AllowedImageRegistries;

impl Policy for AllowedImageRegistries {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.1, ASB 5.1, ASB 6.8";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(AllowedImageRegistries);
