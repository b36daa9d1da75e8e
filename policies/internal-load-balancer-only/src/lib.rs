//! `internal-load-balancer-only` (catalogue row P36): a `Service` of type `LoadBalancer` must ask
//! for an internal Azure load balancer; where a namespace may publish one, the public load balancer
//! must restrict its source ranges.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct InternalLoadBalancerOnly;

impl Policy for InternalLoadBalancerOnly {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 1.1, ASB 1.9, ASB 4.3, PCI 7.2.3";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(InternalLoadBalancerOnly);
