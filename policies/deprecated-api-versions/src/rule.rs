//! The rule: a pure function over the request's kind (as the client sent it) and the table.

use policy_helpers::prelude::*;

use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;
use crate::table::{Version, lookup};

fn v((major, minor): Version) -> String {
    format!("{major}.{minor}")
}

/// `Kind namespace/name` for a warning (the rejection message gets it from the runtime).
fn identity(req: &Request<'_>) -> String {
    req.identity(&req.metadata().unwrap_or_default())
}

fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// Rejects an object written in an API version the target Kubernetes version does not serve;
/// warns about (or, with `denyOnDeprecation`, rejects) one written in a deprecated version.
/// The version is the one the client used (`requestKind`), not the one the API server may have
/// converted the object to for the webhook.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let s = &ctx.settings;
    let target = match s.target() {
        Ok(t) => t,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    let gvk = req.original_kind();
    let written = api_version(&gvk.group, &gvk.version);
    let mut findings = Findings::new();
    let advice = |replacement: &str| {
        if replacement.is_empty() {
            "; nothing replaces it".to_string()
        } else {
            format!("; use {replacement}")
        }
    };
    if let Some(e) = s
        .extra_deprecations
        .iter()
        .find(|e| e.matches(&gvk.group, &gvk.version, &gvk.kind))
    {
        let what = format!(
            "is written in apiVersion {written}, which extraDeprecations lists as {}{}",
            if e.removed { "removed" } else { "deprecated" },
            advice(&e.replacement)
        );
        if e.removed || s.deny_on_deprecation {
            findings.object(what);
        } else {
            findings.warn(format!("{}: {what}", identity(req)));
        }
        return findings.into_verdict();
    }
    let Some(row) = lookup(&gvk.group, &gvk.version, &gvk.kind) else {
        return Verdict::accept();
    };
    if row.removed_in <= target {
        findings.object(format!(
            "is written in apiVersion {written}, which Kubernetes {} no longer serves for {} (removed in {}){}",
            v(target),
            row.kind,
            v(row.removed_in),
            advice(row.replacement)
        ));
    } else if row.deprecated_in <= target {
        let what = format!(
            "is written in apiVersion {written}, deprecated for {} since Kubernetes {} and removed in {}{}",
            row.kind,
            v(row.deprecated_in),
            v(row.removed_in),
            advice(row.replacement)
        );
        if s.deny_on_deprecation {
            findings.object(format!("{what} (denyOnDeprecation)"));
        } else {
            findings.warn(format!("{}: {what}", identity(req)));
        }
    }
    findings.into_verdict()
}
