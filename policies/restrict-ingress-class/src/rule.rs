//! The rule: pure functions over the Ingress view and the IngressClass.

use policy_helpers::prelude::*;

use policy_helpers::consumer::exact_true;
use policy_helpers::net::IngressView;
use policy_helpers::request::ObjectMeta;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// The annotation that makes an IngressClass the cluster's default.
pub const DEFAULT_CLASS: &str = "ingressclass.kubernetes.io/is-default-class";

policy_helpers::view! {
    #[derive(Default)]
    struct IngressClassSpec {
        controller: Option<String> = "controller",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct IngressClassView {
        metadata: ObjectMeta = "metadata",
        spec: IngressClassSpec = "spec",
    }
}

/// Dispatches on the kind: Ingress or IngressClass.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    match (req.kind.group.as_str(), req.kind.kind.as_str()) {
        ("networking.k8s.io", "Ingress") => check_ingress(req, ctx),
        ("networking.k8s.io", "IngressClass") => check_class(req, ctx),
        _ => Verdict::accept(),
    }
}

fn allowed_list(s: &Settings) -> String {
    s.allowed_ingress_classes.join(", ")
}

fn check_ingress(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let ing = match req.object_as::<IngressView>() {
        Ok(Some(i)) => i,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let s = &ctx.settings;
    let mut findings = Findings::new();
    match ing.class() {
        None if s.require_explicit_class => findings.object(format!(
            "names no ingress class (spec.ingressClassName), so the cluster's default class would serve it; use one of: {}",
            allowed_list(s)
        )),
        None => {}
        Some(c) if s.allowed_ingress_classes.iter().any(|a| a == c.name) => {}
        Some(c) => findings.object(format!(
            "{}={:?} is not an approved ingress class (approved: {})",
            c.source,
            c.name,
            allowed_list(s)
        )),
    }
    // Both spellings of the class naming different classes: some controllers read one, some
    // the other, so the annotation's class must be approved too.
    if let Some(a) = ing.conflicting_annotation_class()
        && !s.allowed_ingress_classes.iter().any(|x| x == a)
    {
        findings.object(format!(
            "metadata.annotations[kubernetes.io/ingress.class]={a:?} is not an approved ingress class (approved: {}); it differs from spec.ingressClassName, and controllers that select on the annotation serve the Ingress too",
            allowed_list(s)
        ));
    }
    findings.into_verdict()
}

fn check_class(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let class = match req.object_as::<IngressClassView>() {
        Ok(Some(c)) => c,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let s = &ctx.settings;
    let mut findings = Findings::new();
    let name = if class.metadata.name.is_empty() {
        req.name.as_deref().unwrap_or("")
    } else {
        class.metadata.name.as_str()
    };
    if !s.allowed_ingress_classes.iter().any(|a| a == name) {
        let default = class
            .metadata
            .annotations
            .get(DEFAULT_CLASS)
            .map(String::as_str);
        // The DefaultIngressClass admission plugin and the controllers compare with "true".
        let default = exact_true(default);
        let note = if default {
            format!(" and would become the default class ({DEFAULT_CLASS}=\"true\")")
        } else {
            String::new()
        };
        findings.object(format!(
            "is not an approved ingress class{note} (approved: {})",
            allowed_list(s)
        ));
    }
    if !s.allowed_controllers.is_empty() {
        let controller = class.spec.controller.as_deref().unwrap_or("");
        if !s.allowed_controllers.iter().any(|a| a == controller) {
            findings.object(format!(
                "spec.controller={controller:?} is not an approved controller (approved: {})",
                s.allowed_controllers.join(", ")
            ));
        }
    }
    findings.into_verdict()
}
