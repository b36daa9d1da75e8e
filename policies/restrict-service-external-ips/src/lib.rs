//! `restrict-service-external-ips` (catalogue row P38): `Service` `spec.externalIPs` must lie in
//! the allow-list (empty by default), closing CVE-2020-8554 (traffic interception through
//! external IPs).
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictServiceExternalIps;

impl Policy for RestrictServiceExternalIps {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 1.1, ASB 1.4, PCI 7.2.3";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictServiceExternalIps);
