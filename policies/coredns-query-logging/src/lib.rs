//! `coredns-query-logging` (catalogue row P59): DNS query logging stays on. The AKS
//! `coredns-custom` ConfigMap, read the way CoreDNS reads it ([`corefile`]), must log every
//! query (the `log` plugin in an `*.override` key and in every `*.server` block, with no class or
//! zone filter that drops queries) and may not be deleted; the CoreDNS Deployment is checked against the ConfigMap as it
//! exists in the cluster (a context-aware lookup), so background audit reports a cluster
//! where the ConfigMap is missing.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod corefile;
pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Operation, Policy, Request, Verdict, export_policy};

/// The policy.
pub struct CorednsQueryLogging;

impl Policy for CorednsQueryLogging {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 2.9";
    const OPERATIONS: &'static [Operation] =
        &[Operation::Create, Operation::Update, Operation::Delete];

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(CorednsQueryLogging);
