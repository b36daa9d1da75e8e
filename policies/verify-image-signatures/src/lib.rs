//! `verify-image-signatures` (catalogue row P48): images matching the configured patterns must
//! carry sigstore signatures that the engine verifies (`oci/v2/verify`): public keys, keyless
//! identities (exact or URL prefix), GitHub Actions workflows or a certificate. Optionally the
//! verified digest is appended to the image, so what runs is what was verified.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct VerifyImageSignatures;

impl Policy for VerifyImageSignatures {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 6.8, ASB 5.1";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(VerifyImageSignatures);
