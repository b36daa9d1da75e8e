//! `restrict-ingress-nginx-annotations` (catalogue row P63): ingress-nginx (the controller behind
//! the AKS application routing add-on) turns Ingress annotations into nginx configuration. This
//! policy refuses snippet annotations outside allow-listed namespaces, annotation values that
//! break out of an nginx directive or reference files, `Exact`/`Prefix` paths outside the
//! controller's strict character set, and controller ConfigMaps that allow snippets, accept
//! Critical-risk annotations or turn strict path validation off.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`], and
//! the controller's own way of reading values is in [`nginx`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod nginx;
pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictIngressNginxAnnotations;

impl Policy for RestrictIngressNginxAnnotations {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 1.7, ASB 7.11, ASB 4.6, PCI 7.1.2";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictIngressNginxAnnotations);
