//! The rule: a pure function over the pod view.

use policy_helpers::prelude::*;

use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Checks every `spec.volumes[]` entry: its type must be allowed, and a `flexVolume` or inline
/// `csi` volume must name an allowed driver. A volume without any source is an `emptyDir` (the
/// API server defaults it so).
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    // Volumes cannot change through the ephemeral-containers subresource.
    if pod.ephemeral_only {
        return Verdict::accept();
    }
    let s = &ctx.settings;
    let drivers = s.compile().unwrap_or_default();
    let volumes = match pod.volumes() {
        Ok(v) => v,
        Err(e) => return Verdict::cannot_read(e),
    };
    let mut findings = Findings::new();
    for (i, v) in volumes.iter().enumerate() {
        let subject = format!("volume {:?} ({}.volumes[{i}])", v.name, pod.spec_path());
        let defaulted = ["emptyDir".to_string()];
        let sources: &[String] = if v.sources.is_empty() {
            &defaulted
        } else {
            &v.sources
        };
        for kind in sources {
            if !s.allows(kind) {
                findings.object(format!(
                    "{subject} is of type {kind} (allowed: {})",
                    s.allowed_volume_types.join(", ")
                ));
                continue;
            }
            let (driver, allowed, key) = match kind.as_str() {
                "flexVolume" => (
                    v.flex_volume_driver.as_deref(),
                    &drivers.flex,
                    "allowedFlexVolumeDrivers",
                ),
                "csi" => (v.csi_driver.as_deref(), &drivers.csi, "allowedCSIDrivers"),
                _ => continue,
            };
            if allowed.is_empty() {
                continue;
            }
            let d = driver.unwrap_or_default();
            if !allowed.iter().any(|g| g.matches(d)) {
                findings.object(format!(
                    "{subject} uses {kind} driver {d:?}, which is not in {key}"
                ));
            }
        }
    }
    findings.into_verdict()
}
