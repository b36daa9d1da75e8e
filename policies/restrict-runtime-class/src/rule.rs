//! The rule: a pure function over the pod view.

use policy_helpers::prelude::*;

use policy_helpers::glob::Glob;
use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

fn list(globs: &[Glob]) -> String {
    let names: Vec<&str> = globs.iter().map(Glob::as_str).collect();
    names.join(", ")
}

/// Checks `spec.runtimeClassName` against the reserved classes, then against the first rule
/// naming the pod's namespace (or the default list).
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    // The runtime class cannot change through the ephemeral-containers subresource.
    if pod.ephemeral_only {
        return Verdict::accept();
    }
    let c = ctx.settings.compile().unwrap_or_default();
    let namespace = req.effective_namespace(&pod.metadata);
    let class = pod
        .spec
        .runtime_class_name
        .as_deref()
        .filter(|s| !s.is_empty());
    let field = format!("{}.runtimeClassName", pod.spec_path());
    let mut findings = Findings::new();
    if let Some(name) = class
        && let Some(g) = c.reserved.iter().find(|g| g.matches(name))
    {
        findings.object(format!(
            "sets {field}={name:?}, a reserved runtime class ({})",
            g.as_str()
        ));
        return findings.into_verdict();
    }
    let rule = c
        .rules
        .iter()
        .enumerate()
        .find(|(_, r)| r.namespaces.iter().any(|g| g.matches(namespace)));
    match (rule, class) {
        (Some((i, r)), None) if r.required => findings.object(format!(
            "does not set {field}; namespace {namespace:?} requires one of {} (rules[{i}])",
            list(&r.allowed)
        )),
        (Some(_), None) => {}
        (Some((i, r)), Some(name)) => {
            if !r.allowed.iter().any(|g| g.matches(name)) {
                findings.object(format!(
                    "sets {field}={name:?}; namespace {namespace:?} allows only {} (rules[{i}])",
                    list(&r.allowed)
                ));
            }
        }
        (None, Some(name)) => {
            if let Some(allowed) = &c.default_allowed
                && !allowed.iter().any(|g| g.matches(name))
            {
                findings.object(format!(
                    "sets {field}={name:?}, which is not in defaultAllowedRuntimeClasses ({})",
                    list(allowed)
                ));
            }
        }
        (None, None) => {}
    }
    findings.into_verdict()
}
