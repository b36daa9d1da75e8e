//! The rule: a pure function over the pod view and the compiled lists.

use policy_helpers::prelude::*;

use policy_helpers::image::ImageRef;
use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{Compiled, Settings};

/// Why an image is refused, or `None` when it is allowed. Deny entries win over allow
/// entries; registries are compared as whole host names, so `myacr.azurecr.io.evil.example`
/// is not `myacr.azurecr.io`.
pub fn judge(image: &ImageRef, lists: &Compiled) -> Option<String> {
    if let Some(d) = lists
        .denied_registries
        .iter()
        .find(|g| g.matches(&image.registry))
    {
        return Some(format!(
            "uses registry {:?}, which deniedRegistries denies ({})",
            image.registry,
            d.as_str()
        ));
    }
    if let Some(d) = lists.denied_images.iter().find(|p| p.matches(image)) {
        return Some(format!("matches deniedImages pattern {:?}", d.as_str()));
    }
    let allowed = lists
        .allowed_registries
        .iter()
        .any(|g| g.matches(&image.registry))
        || lists.allowed_images.iter().any(|p| p.matches(image));
    if allowed {
        None
    } else {
        Some(format!(
            "uses registry {:?}, which is not in allowedRegistries and matches no allowedImages pattern",
            image.registry
        ))
    }
}

/// Rejects every in-scope container whose image is not allowed, cannot be parsed or is missing.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let lists = match ctx.settings.compile() {
        Ok(l) => l,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    let mut findings = Findings::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        match c.image_ref() {
            Err(detail) => findings.container(&c, detail),
            Ok((image, r)) => {
                if let Some(why) = judge(&r, &lists) {
                    findings.container(&c, format!("image {image:?} {why}"));
                }
            }
        }
    }
    findings.into_verdict()
}
