//! `{{id}}` (catalogue row {{row}}): {{summary}}
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].
//! Scaffolded by `make new-policy` ({{shape}} shape); see docs/writing-a-policy.md.

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

use policy_helpers::prelude::*;

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct {{type}};

impl Policy for {{type}} {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "{{controls}}";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!({{type}});
