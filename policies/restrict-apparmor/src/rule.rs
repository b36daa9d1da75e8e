//! The rule: a pure function over the pod view.

use policy_helpers::pod::PodObject;
use policy_helpers::pss::{ProfileField, container_profiles, pod_profiles};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Checks every AppArmor profile set for the pod (`securityContext.appArmorProfile`) and its
/// in-scope containers (the field and the legacy
/// `container.apparmor.security.beta.kubernetes.io/<name>` annotation). Unset is allowed: the
/// runtime then applies its default profile.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let policy = ctx.settings.profiles().unwrap_or_default();
    let mut findings = Findings::new();
    let (mut checked, mut inherits) = (false, false);
    for c in pod.checked_containers(&ctx.exemptions) {
        checked = true;
        let own = match container_profiles(&pod, &c, ProfileField::AppArmor) {
            Ok(o) => o,
            Err(e) => return Verdict::cannot_read(e),
        };
        inherits |= own.is_empty();
        for p in &own {
            if let Some(d) = policy.check(p) {
                findings.container(&c, d);
            }
        }
    }
    if checked && (!pod.ephemeral_only || inherits) {
        let pod_level = match pod_profiles(&pod, ProfileField::AppArmor) {
            Ok(p) => p,
            Err(e) => return Verdict::cannot_read(e),
        };
        for p in &pod_level {
            if let Some(d) = policy.check(p) {
                findings.object(d);
            }
        }
    }
    findings.into_verdict()
}
