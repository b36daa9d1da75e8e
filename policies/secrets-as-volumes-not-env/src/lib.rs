//! `secrets-as-volumes-not-env` (catalogue row P23, advisory): Secrets are mounted as files, not
//! copied into environment variables, in every container of every pod-bearing kind.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct SecretsAsVolumesNotEnv;

impl Policy for SecretsAsVolumesNotEnv {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.11, PCI 8.7";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(SecretsAsVolumesNotEnv);
