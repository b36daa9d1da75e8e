//! `deny-resource-kinds` (catalogue row P55): kinds that are not approved may not be created
//! (cluster-wide or in given namespaces), CustomResourceDefinitions must belong to an approved
//! API group, and ExternalName Services may not point at the node or platform endpoints.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct DenyResourceKinds;

impl Policy for DenyResourceKinds {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 6.4, ASB 6.5, ASB 6.9, PCI 7.1.2";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(DenyResourceKinds);
