//! `rbac-subjects-entra-only` (catalogue row P26): Kubernetes RBAC is bound to Entra ID
//! identities (object ids), never to generic shared names.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RbacSubjectsEntraOnly;

impl Policy for RbacSubjectsEntraOnly {
    type Settings = settings::Settings;
    const CONTROLS: &'static str =
        "ASB 3.3, ASB 3.9, ASB 3.1, PCI 7.1.3, PCI 7.2.2, PCI 8.1.1, PCI 8.5, PCI 8.6";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RbacSubjectsEntraOnly);
