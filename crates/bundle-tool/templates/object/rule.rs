//! The rule: a pure function over the object's metadata, which the rule reads itself
//! (`req.metadata()`; a malformed one is the 400 rejection naming the field).

use policy_helpers::prelude::*;

use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Rejects an object that lacks a label of `requiredLabels`, or sets it to an empty value.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let meta = match req.metadata() {
        Ok(m) => m,
        Err(e) => return Verdict::cannot_read(e),
    };
    let mut findings = Findings::new();
    for key in &ctx.settings.required_labels {
        match meta.labels.get(key) {
            None => findings.object(format!("lacks label {key:?} (metadata.labels)")),
            Some(v) if v.is_empty() => findings.object(format!(
                "sets label {key:?} to an empty value (metadata.labels[{key:?}])"
            )),
            Some(_) => {}
        }
    }
    findings.into_verdict()
}
