//! The rule: a Namespace's Pod Security Admission labels against the minimums, and against the
//! old object on UPDATE.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::request::ObjectMeta;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Request, Verdict};

use crate::settings::{Level, MODES, Settings};

const PREFIX: &str = "pod-security.kubernetes.io/";

policy_helpers::view! {
    #[derive(Default)]
    struct MetaOnly {
        metadata: ObjectMeta = "metadata",
    }
}

/// Whether a `-version` value is `latest` or `v1.<minor>`.
pub fn valid_version(v: &str) -> bool {
    v == "latest"
        || v.strip_prefix("v1.")
            .is_some_and(|m| !m.is_empty() && m.len() <= 3 && m.bytes().all(|c| c.is_ascii_digit()))
}

/// The level a mode is at (`privileged` when the label is absent or invalid).
fn level(labels: &BTreeMap<String, String>, mode: &str) -> Level {
    labels
        .get(&format!("{PREFIX}{mode}"))
        .and_then(|v| Level::parse(v))
        .unwrap_or(Level::Privileged)
}

/// Checks a Namespace's labels.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    if !req.is_namespace_object() {
        return Verdict::accept();
    }
    let meta = match req.object_as::<MetaOnly>() {
        Ok(Some(m)) => m.metadata,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    if meta.deletion_timestamp.is_some()
        || ctx.exemptions.exempts_request(req, &meta.name).is_some()
    {
        return Verdict::accept();
    }
    let s = &ctx.settings;
    let labels = &meta.labels;
    let mut findings = Findings::new();
    for mode in MODES {
        let key = format!("{PREFIX}{mode}");
        if let Some(v) = labels.get(&key)
            && Level::parse(v).is_none()
        {
            findings.object(format!(
                "sets label {key:?}={v:?} (metadata.labels), which is not privileged, baseline or restricted"
            ));
        }
        let vkey = format!("{key}-version");
        if let Some(v) = labels.get(&vkey) {
            if !valid_version(v) {
                findings.object(format!(
                    "sets label {vkey:?}={v:?} (metadata.labels), which is not latest or v1.<minor>"
                ));
            } else if v != "latest" && !s.allow_pinned_versions {
                findings.object(format!(
                    "pins label {vkey:?}={v:?} (metadata.labels), but allowPinnedVersions is false: use latest"
                ));
            }
        }
    }
    let required = s.required(labels);
    for mode in MODES {
        let Some(min) = required.get(mode) else {
            continue;
        };
        let key = format!("{PREFIX}{mode}");
        match labels.get(&key).map(|v| (v, Level::parse(v))) {
            None => findings.object(format!(
                "lacks label {key:?} (metadata.labels): it must be at least {:?}",
                min.as_str()
            )),
            Some((v, Some(l))) if l < min => findings.object(format!(
                "sets label {key:?}={v:?} (metadata.labels), below the required {:?}",
                min.as_str()
            )),
            _ => {}
        }
    }
    if s.deny_downgrade && req.operation == Operation::Update {
        match req.old_object_as::<MetaOnly>() {
            Ok(Some(old)) => {
                for mode in MODES {
                    let before = level(&old.metadata.labels, mode);
                    let after = level(labels, mode);
                    if after < before {
                        let key = format!("{PREFIX}{mode}");
                        let now = labels
                            .get(&key)
                            .map_or_else(|| "removed".to_string(), |v| format!("{v:?}"));
                        findings.object(format!(
                            "lowers label {key:?} from {:?} to {now} (metadata.labels), which denyDowngrade refuses",
                            before.as_str()
                        ));
                    }
                }
            }
            Ok(None) => {}
            Err(e) => return Verdict::unreadable(format!("old object cannot be read: {e}")),
        }
    }
    findings.into_verdict()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for v in ["latest", "v1.30", "v1.0"] {
            assert!(valid_version(v), "{v}");
        }
        for v in ["", "1.30", "v2.1", "v1.", "v1.x", "v1.30.1", "Latest"] {
            assert!(!valid_version(v), "{v}");
        }
    }
}
