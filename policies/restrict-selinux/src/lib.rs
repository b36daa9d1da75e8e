//! `restrict-selinux` (catalogue row P12): allows only the Pod Security Standards SELinux types and no custom SELinux user or role, for pods and every container of every pod-bearing kind.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictSelinux;

impl Policy for RestrictSelinux {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.3";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictSelinux);
