//! `enforce-namespace-psa-labels` (catalogue row P53): every Namespace carries Pod Security
//! Admission labels (`pod-security.kubernetes.io/<mode>`) at least at the configured levels
//! (stricter ones for namespaces selected by label, e.g. `pci-scope=in-scope`), with valid
//! values and versions, and an update may not lower them.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct EnforceNamespacePsaLabels;

impl Policy for EnforceNamespacePsaLabels {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 7.3, PCI 7.1.2";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(EnforceNamespacePsaLabels);
