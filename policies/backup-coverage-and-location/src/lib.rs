//! `backup-coverage-and-location` (catalogue row P60): Velero backups cover every namespace in
//! scope with its volumes, go only to approved (off-premises) storage, run on valid schedules,
//! and in-scope volumes do not opt out. Coverage is checked against the Namespaces and
//! Schedules in the cluster (context-aware lookups).
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod cron;
pub mod rule;
pub mod selector;
pub mod settings;
pub mod velero;

use policy_helpers::settings::Checked;
use policy_helpers::{Operation, Policy, Request, Verdict, export_policy};

/// The policy.
pub struct BackupCoverageAndLocation;

impl Policy for BackupCoverageAndLocation {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 9.1, ASB 9.2, ASB 9.4, PCI 9";
    const OPERATIONS: &'static [Operation] =
        &[Operation::Create, Operation::Update, Operation::Delete];

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(BackupCoverageAndLocation);
