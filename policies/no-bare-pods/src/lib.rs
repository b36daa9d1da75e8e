//! `no-bare-pods` (catalogue row A13, Azure's *Kubernetes cluster should not use naked pods*):
//! a Pod must be created by a controller, i.e. carry an owner reference with `controller: true`
//! (of an allowed kind, when the list is set).
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Operation, Policy, Request, Verdict, export_policy};

/// The policy.
pub struct NoBarePods;

impl Policy for NoBarePods {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "reliability";
    /// Only creation decides whether a Pod is bare: the garbage collector removes owner
    /// references from Pods when their controller is deleted with `--cascade=orphan`, and that
    /// update must not be refused.
    const OPERATIONS: &'static [Operation] = &[Operation::Create];

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(NoBarePods);
