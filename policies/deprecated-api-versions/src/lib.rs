//! `deprecated-api-versions` (catalogue row P56): an object written in an API version that the
//! target Kubernetes version no longer serves is rejected; one written in a deprecated version
//! is accepted with a warning (or rejected with `denyOnDeprecation`). The deprecations and
//! removals are the table in [`table`].
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod rule;
pub mod settings;
pub mod table;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct DeprecatedApiVersions;

impl Policy for DeprecatedApiVersions {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 5.3, ASB 7.1";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(DeprecatedApiVersions);
