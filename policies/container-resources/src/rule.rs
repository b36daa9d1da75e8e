//! The rule: a pure function over the pod view and the parsed limits. With defaults configured
//! it also returns the object with the missing requests and limits filled in.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::pod::{ContainerKind, ContainerRef, PodObject};
use policy_helpers::quantity::{Quantity, kubelet_reads_as_unset};
use policy_helpers::settings::Checked;
use policy_helpers::verdict::Violation;
use policy_helpers::{Findings, Mutated, Operation, Request, Verdict};
use serde_json::Value;

use crate::settings::{Limits, Settings};

/// A quantity of the object that is not a quantity: the object is malformed.
struct Unreadable(String);

/// A default the policy writes into a container: (`requests`|`limits`, resource, quantity,
/// whether it replaces a 0 the kubelet reads as unset).
type Added = (&'static str, &'static str, String, bool);

/// A value in force for one resource of one container, and how to name it in messages.
struct InForce {
    label: String,
    q: Quantity,
    /// The kubelet reads it as nothing set (a CPU or memory 0, see
    /// [`kubelet_reads_as_unset`]).
    unset: bool,
}

fn read(
    map: &BTreeMap<String, String>,
    section: &str,
    resource: &str,
) -> Result<Option<InForce>, Unreadable> {
    let Some(text) = map.get(resource) else {
        return Ok(None);
    };
    Quantity::parse(text)
        .map(|q| {
            Some(InForce {
                label: format!("resources.{section}.{resource} {text:?}"),
                q,
                unset: kubelet_reads_as_unset(resource, q),
            })
        })
        .map_err(|e| Unreadable(format!("resources.{section}.{resource}: {e}")))
}

/// Checks one resource of one container; missing fields go to `missing`, other problems to
/// `out`, defaults written to `added` (when `apply_defaults`).
fn check_resource(
    requests: &BTreeMap<String, String>,
    limits: &BTreeMap<String, String>,
    l: &Limits,
    apply_defaults: bool,
    missing: &mut Vec<String>,
    out: &mut Vec<String>,
    added: &mut Vec<Added>,
) -> Result<(), Unreadable> {
    let r = l.resource;
    let mut limit = read(limits, "limits", r)?;
    let mut request = read(requests, "requests", r)?;
    // A CPU or memory 0 is nothing for the kubelet (no CFS quota, no memory limit, no
    // reservation): it is read as unset, and a default replaces it.
    let zero_limit = limit.as_ref().is_some_and(|v| v.unset);
    let zero_request = request.as_ref().is_some_and(|v| v.unset);
    if apply_defaults {
        if limit.as_ref().is_none_or(|v| v.unset)
            && let Some((text, q)) = &l.default_limit
        {
            added.push(("limits", r, text.clone(), zero_limit));
            limit = Some(InForce {
                label: format!("resources.limits.{r} {text:?} ({}.defaultLimit)", l.key),
                q: *q,
                unset: kubelet_reads_as_unset(r, *q),
            });
        }
        if request.as_ref().is_none_or(|v| v.unset)
            && let Some((text, q)) = &l.default_request
        {
            added.push(("requests", r, text.clone(), zero_request));
            request = Some(InForce {
                label: format!("resources.requests.{r} {text:?} ({}.defaultRequest)", l.key),
                q: *q,
                unset: kubelet_reads_as_unset(r, *q),
            });
        }
    }
    // Kubernetes defaults a missing request to the limit, so a limit alone is a request.
    let effective_request = request.as_ref().or(limit.as_ref());
    let unset_note = |v: Option<&InForce>, what: &str| match v {
        Some(v) if v.unset => format!(
            "resources.{what}.{r} ({} {})",
            v.label,
            if what == "limits" {
                "is no limit for the kubelet"
            } else {
                "reserves nothing"
            }
        ),
        _ => format!("resources.{what}.{r}"),
    };
    if l.require_request && effective_request.is_none_or(|v| v.unset) {
        missing.push(unset_note(effective_request, "requests"));
    }
    if l.require_limit && limit.as_ref().is_none_or(|v| v.unset) {
        missing.push(unset_note(limit.as_ref(), "limits"));
    }
    if let (Some(rq), Some(lq)) = (&request, &limit)
        && !lq.unset
        && rq.q > lq.q
    {
        out.push(format!("{} is above {}", rq.label, lq.label));
    }
    // No limit is above every maximum, and below no minimum.
    if !l.require_limit
        && let (Some(v), Some((bt, _))) = (limit.as_ref().filter(|v| v.unset), &l.max_limit)
    {
        out.push(format!(
            "{} is no limit for the kubelet, above the maximum {bt} ({}.maxLimit)",
            v.label, l.key
        ));
    }
    let real_limit = limit.as_ref().filter(|v| !v.unset);
    let bound = |value: Option<&InForce>,
                 bound: &Option<(String, Quantity)>,
                 setting: &str,
                 above: bool,
                 out: &mut Vec<String>| {
        if let (Some(v), Some((bt, bq))) = (value, bound)
            && ((above && v.q > *bq) || (!above && v.q < *bq))
        {
            let word = if above {
                "above the maximum"
            } else {
                "below the minimum"
            };
            out.push(format!("{} is {word} {bt} ({}.{setting})", v.label, l.key));
        }
    };
    bound(effective_request, &l.max_request, "maxRequest", true, out);
    bound(effective_request, &l.min_request, "minRequest", false, out);
    bound(real_limit, &l.max_limit, "maxLimit", true, out);
    bound(real_limit, &l.min_limit, "minLimit", false, out);
    Ok(())
}

/// What is wrong with one container, as one detail (empty when nothing is).
fn check_container(
    c: &ContainerRef<'_>,
    rules: &[Limits],
    apply_defaults: bool,
    added: &mut Vec<Added>,
) -> Result<String, Unreadable> {
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
            apply_defaults,
            &mut missing,
            &mut out,
            added,
        )?;
    }
    if !missing.is_empty() {
        out.insert(0, format!("sets no {}", missing.join(", ")));
    }
    Ok(out.join(", "))
}

/// The object with the defaults written into the containers they were chosen for.
fn with_defaults(
    raw: &str,
    spec_path: &str,
    additions: &[(ContainerKind, usize, Vec<Added>)],
) -> Result<Value, String> {
    let mut obj: Value = policy_helpers::json::value(raw).map_err(|e| e.to_string())?;
    let mut spec = &mut obj;
    for part in spec_path.split('.') {
        spec = spec
            .get_mut(part)
            .ok_or_else(|| format!("{spec_path} is missing"))?;
    }
    for (kind, index, adds) in additions {
        let container = spec
            .get_mut(kind.field())
            .and_then(|l| l.get_mut(*index))
            .and_then(Value::as_object_mut)
            .ok_or_else(|| format!("{spec_path}.{}[{index}] is missing", kind.field()))?;
        let resources = container
            .entry("resources")
            .or_insert_with(|| Value::Object(Default::default()));
        if !resources.is_object() {
            *resources = Value::Object(Default::default());
        }
        for (section, resource, text, _) in adds {
            let map = resources
                .as_object_mut()
                .map(|m| {
                    m.entry(*section)
                        .or_insert_with(|| Value::Object(Default::default()))
                })
                .ok_or("resources is not an object")?;
            if !map.is_object() {
                *map = Value::Object(Default::default());
            }
            if let Some(m) = map.as_object_mut() {
                m.insert((*resource).to_string(), Value::String(text.clone()));
            }
        }
    }
    Ok(obj)
}

/// Rejects every in-scope container or init container (image exemptions applied) whose
/// requests and limits are missing, out of bounds or inconsistent, after filling in the
/// configured defaults (then the verdict is a mutation). Ephemeral containers cannot declare
/// resources, so they are not checked; a plain UPDATE of a Pod cannot change resources and is
/// accepted, a `pods/resize` UPDATE is checked (without defaults). A quantity that is not a
/// quantity is a malformed object (code 400).
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
    let apply_defaults = req.subresource().is_none() && rules.iter().any(Limits::has_defaults);
    let mut findings = Findings::new();
    let mut additions = Vec::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        if c.kind == ContainerKind::Ephemeral {
            continue;
        }
        let mut added = Vec::new();
        match check_container(&c, &rules, apply_defaults, &mut added) {
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
        if !added.is_empty() {
            additions.push((c.kind, c.index, added, c.subject()));
        }
    }
    if !findings.is_empty() || additions.is_empty() {
        return findings.into_verdict();
    }
    let raw = req.object.map(|o| o.get()).unwrap_or("null");
    let plan: Vec<(ContainerKind, usize, Vec<Added>)> = additions
        .iter()
        .map(|(k, i, a, _)| (*k, *i, a.clone()))
        .collect();
    match with_defaults(raw, pod.spec_path(), &plan) {
        Ok(object) => {
            let what: Vec<String> = additions
                .iter()
                .map(|(_, _, a, subject)| {
                    let set: Vec<String> = a
                        .iter()
                        .map(|(s, r, t, zero)| {
                            let was = if *zero { " (in place of 0)" } else { "" };
                            format!("resources.{s}.{r}={t}{was}")
                        })
                        .collect();
                    format!("{subject} {}", set.join(", "))
                })
                .collect();
            Verdict::Mutate {
                object: Mutated::new(&object),
                warnings: vec![format!(
                    "{}: default resources added: {}",
                    req.identity(&pod.metadata),
                    what.join("; ")
                )],
            }
        }
        Err(e) => Verdict::cannot_read(e),
    }
}
