//! The rule: the object's (and, when asked, its pod template's) labels and annotations against
//! every rule that applies to its kind.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::labels::namespace_labels;
use policy_helpers::pod::{PodKind, PodObject};
use policy_helpers::request::ObjectMeta;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{CompiledRule, Settings};

/// Checks one metadata block (`base` is its path, e.g. `spec.template.metadata`) against a rule.
pub fn check_meta(
    rule: &CompiledRule,
    meta: &ObjectMeta,
    base: &str,
    namespace: Option<(&str, &BTreeMap<String, String>)>,
    findings: &mut Findings,
) {
    for (what, field, map, req_list, denied) in [
        (
            "label",
            "labels",
            &meta.labels,
            &rule.required_labels,
            &rule.denied_labels,
        ),
        (
            "annotation",
            "annotations",
            &meta.annotations,
            &rule.required_annotations,
            &rule.denied_annotations,
        ),
    ] {
        let list_key = if field == "labels" {
            "requiredLabels"
        } else {
            "requiredAnnotations"
        };
        for (key, pattern) in req_list {
            match map.get(key) {
                None => findings.object(format!(
                    "lacks {what} {key:?} ({base}.{field}), which {}.{list_key} requires (value {:?})",
                    rule.label,
                    pattern.as_str()
                )),
                Some(v) if !pattern.matches(v) => findings.object(format!(
                    "has {what} {key:?}={v:?} ({base}.{field}), which does not match {}.{list_key} pattern {:?}",
                    rule.label,
                    pattern.as_str()
                )),
                Some(_) => {}
            }
        }
        let denied_key = if field == "labels" {
            "deniedLabels"
        } else {
            "deniedAnnotations"
        };
        for key in map.keys() {
            if let Some(g) = denied.iter().find(|g| g.matches(key)) {
                findings.object(format!(
                    "sets {what} {key:?} ({base}.{field}), which {}.{denied_key} denies ({})",
                    rule.label,
                    g.as_str()
                ));
            }
        }
    }
    if let Some((ns, ns_labels)) = namespace {
        for key in &rule.match_namespace_labels {
            let Some(want) = ns_labels.get(key) else {
                continue;
            };
            match meta.labels.get(key) {
                None => findings.object(format!(
                    "lacks label {key:?} ({base}.labels), which must equal namespace {ns:?}'s {want:?} ({}.matchNamespaceLabels)",
                    rule.label
                )),
                Some(v) if v != want => findings.object(format!(
                    "has label {key:?}={v:?} ({base}.labels), but namespace {ns:?} has {want:?} ({}.matchNamespaceLabels)",
                    rule.label
                )),
                Some(_) => {}
            }
        }
    }
}

/// Applies every rule whose kinds match the request's kind.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    // Nothing but ephemeral containers can change through this subresource.
    if req.is_ephemeral_containers_update() {
        return Verdict::accept();
    }
    let rules = match ctx.settings.compile() {
        Ok(r) => r,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    let applicable: Vec<&CompiledRule> = rules
        .iter()
        .filter(|r| r.applies_to(&req.kind.group, &req.kind.kind))
        .collect();
    if applicable.is_empty() {
        return Verdict::accept();
    }
    let meta = match req.metadata() {
        Ok(m) => m,
        Err(e) => return Verdict::cannot_read(e),
    };
    // An object on its way out (finalizers being removed) is not held to new requirements.
    if meta.deletion_timestamp.is_some() {
        return Verdict::accept();
    }
    if req.is_namespace_object() && ctx.exemptions.exempts_request(req, &meta.name).is_some() {
        return Verdict::accept();
    }
    let pod_kind = PodKind::of(&req.kind.group, &req.kind.kind).filter(|k| *k != PodKind::Pod);
    let template = match pod_kind {
        Some(_) if applicable.iter().any(|r| r.pod_template) => {
            match PodObject::from_request(req).and_then(|p| {
                p.map(|p| Ok((p.pod_metadata.decode()?, p.kind)))
                    .transpose()
            }) {
                Ok(p) => p,
                Err(e) => return Verdict::cannot_read(e),
            }
        }
        _ => None,
    };
    let mut findings = Findings::new();
    let ns = if req.is_namespace_object() {
        ""
    } else {
        req.effective_namespace(&meta)
    };
    let ns_labels = if !ns.is_empty()
        && applicable
            .iter()
            .any(|r| !r.match_namespace_labels.is_empty())
    {
        match namespace_labels(ns) {
            Ok(Some(l)) => Some(l),
            Ok(None) => {
                findings.object(format!(
                    "cannot be checked against its namespace: Namespace {ns:?} was not found (kubernetes/get_resource v1/Namespace)"
                ));
                None
            }
            Err(e) => {
                findings.object(format!(
                    "cannot be checked against its namespace: the lookup of Namespace {ns:?} failed: {e}"
                ));
                None
            }
        }
    } else {
        None
    };
    let namespace = ns_labels.as_ref().map(|l| (ns, l));
    for rule in applicable {
        check_meta(rule, &meta, "metadata", namespace, &mut findings);
        if rule.pod_template
            && let Some((pod_meta, kind)) = &template
        {
            check_meta(
                rule,
                pod_meta,
                kind.metadata_path(),
                namespace,
                &mut findings,
            );
        }
    }
    findings.into_verdict()
}
