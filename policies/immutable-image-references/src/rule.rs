//! The rule: a pure function over the pod view and the compiled settings.

use policy_helpers::prelude::*;

use policy_helpers::image::ImageRef;
use policy_helpers::pod::{NameRef, PodObject, decode_part};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{Compiled, Settings};

/// The pull policy Kubernetes defaults a container to when it sets none: `Always` for the
/// `latest` tag (written or implied), else `IfNotPresent`.
pub fn default_pull_policy(image: &ImageRef) -> &'static str {
    if image.effective_tag() == Some("latest") {
        "Always"
    } else {
        "IfNotPresent"
    }
}

/// What is wrong with an image reference itself (tag and digest), as message details.
pub fn judge_reference(image: &ImageRef, written: &str, s: &Settings, c: &Compiled) -> Vec<String> {
    let mut out = Vec::new();
    match (&image.tag, &image.digest) {
        (None, None) => out.push(format!(
            "image {written:?} has neither a tag nor a digest, so the runtime pulls the mutable tag \"latest\""
        )),
        (Some(tag), None) => {
            if let Some(g) = c.denied_tags.iter().find(|g| g.matches(tag)) {
                out.push(format!(
                    "image {written:?} uses tag {tag:?}, which deniedTags denies ({})",
                    g.as_str()
                ));
            }
        }
        // A digest pins the content whatever the tag says.
        (_, Some(_)) => {}
    }
    if s.require_digest && image.digest.is_none() {
        out.push(format!(
            "image {written:?} is not pinned to a digest (@sha256:…), which requireDigest requires"
        ));
    }
    out
}

/// Rejects every in-scope container whose image reference is mutable, whose pull policy is not
/// allowed, or whose registry needs pull secrets the pod does not name.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let s = &ctx.settings;
    let compiled = match s.compile() {
        Ok(c) => c,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    let secrets_path = format!("{}.imagePullSecrets", pod.spec_path());
    let has_pull_secrets = if compiled.pull_secret_registries.is_empty() {
        true
    } else {
        match decode_part::<Vec<NameRef>>(pod.spec.image_pull_secrets, &secrets_path) {
            Ok(list) => list.unwrap_or_default().iter().any(|r| !r.name.is_empty()),
            Err(e) => return Verdict::cannot_read(e),
        }
    };
    let mut findings = Findings::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        let (written, image) = match c.image_ref() {
            Ok(v) => v,
            Err(detail) => {
                findings.container(&c, detail);
                continue;
            }
        };
        for detail in judge_reference(&image, written, s, &compiled) {
            findings.container(&c, detail);
        }
        if !s.allowed_pull_policies.is_empty() {
            let (policy, how) = match c.container.image_pull_policy.as_deref() {
                Some(p) if !p.is_empty() => (p, format!("sets imagePullPolicy={p}")),
                _ => {
                    let d = default_pull_policy(&image);
                    (d, format!("leaves imagePullPolicy unset (defaults to {d})"))
                }
            };
            if !s.allowed_pull_policies.iter().any(|a| a == policy) {
                findings.container(
                    &c,
                    format!(
                        "{how}, which is not in allowedPullPolicies [{}]",
                        s.allowed_pull_policies.join(", ")
                    ),
                );
            }
        }
        if !has_pull_secrets
            && let Some(g) = compiled
                .pull_secret_registries
                .iter()
                .find(|g| g.matches(&image.registry))
        {
            findings.container(
                &c,
                format!(
                    "image {written:?} comes from registry {:?}, which requirePullSecretsFor lists ({}), but {secrets_path} names no secret",
                    image.registry,
                    g.as_str()
                ),
            );
        }
    }
    findings.into_verdict()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap()
    }

    #[test]
    fn defaults_follow_kubernetes() {
        assert_eq!(default_pull_policy(&r("nginx")), "Always");
        assert_eq!(default_pull_policy(&r("nginx:latest")), "Always");
        assert_eq!(default_pull_policy(&r("nginx:1.25")), "IfNotPresent");
        let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(
            default_pull_policy(&r(&format!("nginx@{d}"))),
            "IfNotPresent"
        );
    }

    #[test]
    fn references() {
        let s = Settings::default();
        let c = s.compile().unwrap();
        assert_eq!(judge_reference(&r("nginx"), "nginx", &s, &c).len(), 1);
        assert!(
            judge_reference(&r("nginx:latest"), "nginx:latest", &s, &c)[0].contains("deniedTags")
        );
        assert!(judge_reference(&r("nginx:1.25"), "nginx:1.25", &s, &c).is_empty());
        let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let pinned = format!("nginx:latest@{d}");
        assert!(judge_reference(&r(&pinned), &pinned, &s, &c).is_empty());
        let strict = Settings {
            require_digest: true,
            ..Settings::default()
        };
        let sc = strict.compile().unwrap();
        assert!(
            judge_reference(&r("nginx:1.25"), "nginx:1.25", &strict, &sc)[0]
                .contains("requireDigest")
        );
    }
}
