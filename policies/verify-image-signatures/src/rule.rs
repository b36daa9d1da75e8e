//! The rule: every covered image is verified by the engine; the verdict names the image, the
//! entry and why verification failed.

use policy_helpers::prelude::*;

use policy_helpers::host::{self, HostError, VerifyAnswer};
use policy_helpers::pod::{ContainerRef, PodObject};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Mutated, Request, Verdict};
use serde_json::Value;

use crate::settings::{Compiled, Settings};

/// The outcome of one verification, kept so an image used by several containers is verified
/// once per entry.
type Outcome = Result<VerifyAnswer, HostError>;

fn verify(
    s: &Settings,
    entry: &Compiled,
    image: &str,
    cache: &mut Vec<(usize, String, Outcome)>,
) -> Outcome {
    if let Some((_, _, o)) = cache
        .iter()
        .find(|(i, img, _)| *i == entry.index && img == image)
    {
        return o.clone();
    }
    let input = s.signatures[entry.index].input(image);
    // Written straight into the call's JSON (a `Value` in between would bring serde_json's
    // reader back for the raw-value fields).
    let outcome = host::verify(&input);
    cache.push((entry.index, image.to_string(), outcome.clone()));
    outcome
}

/// Sets the image of container `c` in the raw object.
fn set_image(object: &mut Value, c: &ContainerRef<'_>, image: &str) -> bool {
    let mut at = &mut *object;
    for part in c.spec_path.split('.') {
        match at.get_mut(part) {
            Some(v) => at = v,
            None => return false,
        }
    }
    match at
        .get_mut(c.kind.field())
        .and_then(|l| l.get_mut(c.index))
        .and_then(Value::as_object_mut)
    {
        Some(container) => {
            container.insert("image".into(), Value::String(image.to_string()));
            true
        }
        None => false,
    }
}

/// Verifies every in-scope container image against the entries that cover it.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let s = &ctx.settings;
    let entries = match s.compile() {
        Ok(e) => e,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    let mut findings = Findings::new();
    let mut cache = Vec::new();
    let mut pins: Vec<(ContainerRef<'_>, String)> = Vec::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        let (written, image) = match c.image_ref() {
            Ok(v) => v,
            Err(detail) => {
                findings.container(&c, detail);
                continue;
            }
        };
        let covering: Vec<&Compiled> = entries
            .iter()
            .filter(|e| e.images.iter().any(|p| p.matches(&image)))
            .collect();
        if covering.is_empty() {
            if s.reject_unmatched {
                findings.container(
                    &c,
                    format!(
                        "image {written:?} matches no signatures entry, and rejectUnmatched refuses such images"
                    ),
                );
            }
            continue;
        }
        let mut verified_digest: Option<String> = None;
        let mut ok = true;
        for entry in covering {
            match verify(s, entry, written, &mut cache) {
                Err(e) => {
                    ok = false;
                    findings.container(
                        &c,
                        format!(
                            "image {written:?} is not signed as {} ({}) requires: {e}",
                            entry.label, entry.method
                        ),
                    );
                }
                Ok(a) if !a.is_trusted => {
                    ok = false;
                    findings.container(
                        &c,
                        format!(
                            "image {written:?} is not signed as {} ({}) requires: the engine answered not trusted",
                            entry.label, entry.method
                        ),
                    );
                }
                Ok(a) => {
                    if let Some(pinned) = &image.digest
                        && !a.digest.is_empty()
                        && a.digest != *pinned
                    {
                        ok = false;
                        findings.container(
                            &c,
                            format!(
                                "image {written:?}: the verified digest {} is not the pinned digest",
                                a.digest
                            ),
                        );
                    }
                    match &verified_digest {
                        Some(d) if !a.digest.is_empty() && *d != a.digest => {
                            ok = false;
                            findings.container(
                                &c,
                                format!(
                                    "image {written:?}: {} verified digest {} but an earlier entry verified {d}",
                                    entry.label, a.digest
                                ),
                            );
                        }
                        None if !a.digest.is_empty() => verified_digest = Some(a.digest.clone()),
                        _ => {}
                    }
                }
            }
        }
        if ok
            && s.mutate_to_digest
            && image.digest.is_none()
            && let Some(d) = verified_digest
        {
            pins.push((c, format!("{written}@{d}")));
        }
    }
    if !findings.is_empty() || pins.is_empty() {
        return findings.into_verdict();
    }
    let mut object = match req.object_value() {
        Ok(Some(o)) => o,
        _ => return findings.into_verdict(),
    };
    for (c, pinned) in &pins {
        if !set_image(&mut object, c, pinned) {
            return Verdict::unreadable(format!(
                "cannot pin {}: the container is not where its path says",
                c.path()
            ));
        }
    }
    Verdict::Mutate {
        object: Mutated::new(&object),
        warnings: Vec::new(),
    }
}
