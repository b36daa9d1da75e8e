//! `container-resources` (catalogue row P54): every container and init container declares CPU
//! and memory requests and limits (ephemeral-storage optionally), each within the configured
//! minimum and maximum; quantities are compared exactly as Kubernetes compares them.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct ContainerResources;

impl Policy for ContainerResources {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.3";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(ContainerResources);
