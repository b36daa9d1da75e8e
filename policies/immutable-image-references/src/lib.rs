//! `immutable-image-references` (catalogue row P47): every container, init container and
//! ephemeral container image must name an immutable version: a tag that is not denied (no
//! `latest`, no missing tag) or a digest, optionally a digest always; its `imagePullPolicy` must
//! be allowed; and images from listed registries need `imagePullSecrets`.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct ImmutableImageReferences;

impl Policy for ImmutableImageReferences {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 5.1, ASB 6.8";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(ImmutableImageReferences);
