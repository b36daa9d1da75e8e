//! `block-vulnerable-images` (catalogue row P49): every container, init container and ephemeral
//! container image must have a vulnerability report (SBOMscanner `VulnerabilityReport`, read
//! through the engine's Kubernetes capability) within the configured per-severity and CVSS
//! thresholds and without denied CVEs; images without a report are denied by default.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod report;
pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct BlockVulnerableImages;

impl Policy for BlockVulnerableImages {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 5.1, ASB 5.5, ASB 8.2";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(BlockVulnerableImages);
