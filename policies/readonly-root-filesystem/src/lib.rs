//! `readonly-root-filesystem` (catalogue row P09): every container, init container and
//! ephemeral container of any pod-bearing kind sets `securityContext.readOnlyRootFilesystem:
//! true`. Optionally defaults the unset field to `true` instead of rejecting.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct ReadonlyRootFilesystem;

impl Policy for ReadonlyRootFilesystem {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.3";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(ReadonlyRootFilesystem);
