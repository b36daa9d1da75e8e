//! `restrict-storage-classes` (catalogue row P57): StorageClasses use an approved (CSI)
//! provisioner, Azure Disk classes name a disk encryption set when customer-managed keys are
//! required, claims use approved classes, and PersistentVolumes are neither hostPath nor
//! in-tree Azure volumes.
//!
//! This file is glue: the rule is [`rule::check`], the settings are [`settings::Settings`].

#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

pub mod rule;
pub mod settings;

use policy_helpers::settings::Checked;
use policy_helpers::{Policy, Request, Verdict, export_policy};

/// The policy.
pub struct RestrictStorageClasses;

impl Policy for RestrictStorageClasses {
    type Settings = settings::Settings;
    const CONTROLS: &'static str = "ASB 4.8, ASB 9.1";

    fn evaluate(req: &Request<'_>, ctx: &Checked<Self::Settings>) -> Verdict {
        rule::check(req, ctx)
    }
}

export_policy!(RestrictStorageClasses);
