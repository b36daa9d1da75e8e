//! The rule: a pure function over the pod view and the parsed limits.

use std::collections::BTreeMap;

use policy_helpers::pod::{ContainerKind, ContainerRef, PodObject};
use policy_helpers::quantity::Quantity;
use policy_helpers::settings::Checked;
use policy_helpers::verdict::Violation;
use policy_helpers::{Findings, Operation, Request, Verdict};

use crate::settings::{Limits, Settings};

/// A quantity of the object that is not a quantity: the object is malformed.
struct Unreadable(String);

fn read(
    map: &BTreeMap<String, String>,
    section: &str,
    resource: &str,
) -> Result<Option<(String, Quantity)>, Unreadable> {
    let Some(text) = map.get(resource) else {
        return Ok(None);
    };
    Quantity::parse(text)
        .map(|q| Some((text.clone(), q)))
        .map_err(|e| Unreadable(format!("resources.{section}.{resource}: {e}")))
}

/// Checks one resource of one container; findings go to `out`.
fn check_resource(
    requests: &BTreeMap<String, String>,
    limits: &BTreeMap<String, String>,
    l: &Limits,
    missing: &mut Vec<String>,
    out: &mut Vec<String>,
) -> Result<(), Unreadable> {
    let r = l.resource;
    let limit = read(limits, "limits", r)?;
    let request = read(requests, "requests", r)?;
    // Kubernetes defaults a missing request to the limit, so a limit alone is a request.
    let (effective_request, request_field) = match (&request, &limit) {
        (Some(q), _) => (Some(q), "requests"),
        (None, Some(q)) => (Some(q), "limits"),
        (None, None) => (None, "requests"),
    };
    if l.require_request && effective_request.is_none() {
        missing.push(format!("resources.requests.{r}"));
    }
    if l.require_limit && limit.is_none() {
        missing.push(format!("resources.limits.{r}"));
    }
    if let (Some((rt, rq)), Some((lt, lq))) = (&request, &limit)
        && rq > lq
    {
        out.push(format!(
            "resources.requests.{r} {rt:?} is above resources.limits.{r} {lt:?}"
        ));
    }
    let bound = |value: Option<&(String, Quantity)>,
                 field: &str,
                 bound: &Option<(String, Quantity)>,
                 setting: &str,
                 above: bool,
                 out: &mut Vec<String>| {
        if let (Some((vt, vq)), Some((bt, bq))) = (value, bound)
            && ((above && vq > bq) || (!above && vq < bq))
        {
            let word = if above {
                "above the maximum"
            } else {
                "below the minimum"
            };
            out.push(format!(
                "resources.{field}.{r} {vt:?} is {word} {bt} ({}.{setting})",
                l.key
            ));
        }
    };
    bound(
        effective_request,
        request_field,
        &l.max_request,
        "maxRequest",
        true,
        out,
    );
    bound(
        effective_request,
        request_field,
        &l.min_request,
        "minRequest",
        false,
        out,
    );
    bound(
        limit.as_ref(),
        "limits",
        &l.max_limit,
        "maxLimit",
        true,
        out,
    );
    bound(
        limit.as_ref(),
        "limits",
        &l.min_limit,
        "minLimit",
        false,
        out,
    );
    Ok(())
}

/// What is wrong with one container, as one detail (empty when nothing is).
fn check_container(c: &ContainerRef<'_>, rules: &[Limits]) -> Result<String, Unreadable> {
    let resources = c
        .resources()
        .map_err(|e| Unreadable(e.to_string()))?
        .unwrap_or_default();
    let (mut missing, mut out) = (Vec::new(), Vec::new());
    for l in rules.iter().filter(|l| l.is_active()) {
        check_resource(
            &resources.requests,
            &resources.limits,
            l,
            &mut missing,
            &mut out,
        )?;
    }
    if !missing.is_empty() {
        out.insert(0, format!("sets no {}", missing.join(", ")));
    }
    Ok(out.join(", "))
}

/// Rejects every in-scope container or init container (image exemptions applied) whose
/// requests and limits are missing, out of bounds or inconsistent. Ephemeral containers cannot
/// declare resources, so they are not checked; a plain UPDATE of a Pod cannot change resources
/// and is accepted, a `pods/resize` UPDATE is checked. A quantity that is not a quantity is a
/// malformed object (code 400).
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    // A Pod's resources cannot change through a plain UPDATE (only through the `resize`
    // subresource, which is checked in full): checking them there would only block label and
    // finalizer changes of Pods created before the policy.
    if req.kind.group.is_empty()
        && req.kind.kind == "Pod"
        && req.operation == Operation::Update
        && req.subresource().is_none()
    {
        return Verdict::accept();
    }
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let rules = match ctx.settings.compile() {
        Ok(r) => r,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    let mut findings = Findings::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        if c.kind == ContainerKind::Ephemeral {
            continue;
        }
        match check_container(&c, &rules) {
            Ok(detail) => {
                if !detail.is_empty() {
                    findings.container(&c, detail);
                }
            }
            Err(Unreadable(why)) => {
                return Verdict::Reject {
                    violations: vec![Violation {
                        subject: c.subject(),
                        detail: format!("cannot be read: {why}"),
                    }],
                    code: Some(400),
                };
            }
        }
    }
    findings.into_verdict()
}
