//! The rule: pure functions over the Ingress and Gateway views.

use policy_helpers::prelude::*;

use policy_helpers::consumer::go_parse_bool as go_bool;
use policy_helpers::net::{GatewayView, IngressView, wildcard_covers};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{Controller, Settings, UnknownAction};

/// AGIC: a certificate installed on the Application Gateway, for every host of the Ingress.
pub const AGIC_CERT: &str = "appgw.ingress.kubernetes.io/appgw-ssl-certificate";
/// AGIC: redirect HTTP to HTTPS (default false).
pub const AGIC_REDIRECT: &str = "appgw.ingress.kubernetes.io/ssl-redirect";
/// ingress-nginx: redirect HTTP to HTTPS when TLS is configured (default true).
pub const NGINX_REDIRECT: &str = "nginx.ingress.kubernetes.io/ssl-redirect";
/// ingress-nginx: redirect even without TLS in this Ingress.
pub const NGINX_FORCE: &str = "nginx.ingress.kubernetes.io/force-ssl-redirect";
/// GCE-style switch for the plain-HTTP listener.
pub const ALLOW_HTTP: &str = "kubernetes.io/ingress.allow-http";

/// Dispatches on the kind: Ingress or Gateway.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    match (req.kind.group.as_str(), req.kind.kind.as_str()) {
        ("networking.k8s.io", "Ingress") => check_ingress(req, ctx),
        ("gateway.networking.k8s.io", "Gateway") => check_gateway(req, ctx),
        _ => Verdict::accept(),
    }
}

fn check_ingress(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let ing = match req.object_as::<IngressView>() {
        Ok(Some(i)) => i,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let s = &ctx.settings;
    let mut findings = Findings::new();

    // Two classes (field and legacy annotation) that differ: which controllers serve it
    // depends on each controller's precedence, so HTTPS cannot be judged for one of them.
    if let Some(a) = ing.conflicting_annotation_class() {
        findings.object(format!(
            "sets spec.ingressClassName={:?} and metadata.annotations[kubernetes.io/ingress.class]={a:?}: controllers differ in which they read (ingress-nginx the field, others the annotation), so two controllers may serve it; keep one",
            ing.spec.ingress_class_name.as_deref().unwrap_or_default()
        ));
        return findings.into_verdict();
    }

    // Which controller serves it.
    let (class, source) = match ing.class() {
        Some(c) => (Some(c.name.to_string()), c.source.to_string()),
        None => (
            s.default_class.clone(),
            "defaultClass (the Ingress names no class)".to_string(),
        ),
    };
    let controller = match class.as_deref().and_then(|c| s.controllers.get(c)) {
        Some(c) => *c,
        None => {
            if s.unknown_controller_action == UnknownAction::Deny {
                let what = match &class {
                    Some(c) => format!(
                        "ingress class {c:?} ({source}) is served by no controller listed in `controllers`"
                    ),
                    None => {
                        "names no ingress class (spec.ingressClassName) and no defaultClass is set"
                            .to_string()
                    }
                };
                findings.object(format!(
                    "{what}, so HTTPS cannot be verified (known classes: {})",
                    s.controllers.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
                return findings.into_verdict();
            }
            Controller::TlsOnly
        }
    };

    // TLS coverage.
    let cert_annotation = controller == Controller::Agic
        && ing
            .annotation(AGIC_CERT)
            .is_some_and(|v| !v.trim().is_empty());
    // A TLS entry without secretName is served with the controller's default certificate:
    // a real one only where the operator says so (defaultCertificateClasses).
    let default_certificate = class
        .as_deref()
        .is_some_and(|c| s.default_certificate_classes.iter().any(|d| d == c));
    let tls: Vec<(usize, &policy_helpers::net::IngressTls)> = ing
        .spec
        .tls
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            default_certificate || t.secret_name.as_deref().is_some_and(|n| !n.is_empty())
        })
        .collect();
    for (i, t) in ing.spec.tls.iter().enumerate() {
        if t.secret_name.as_deref().is_none_or(str::is_empty)
            && !cert_annotation
            && !default_certificate
        {
            findings.object(format!(
                "spec.tls[{i}] has no secretName, so the controller's default certificate would be served (list the class in defaultCertificateClasses if its controller is configured with a real default certificate)"
            ));
        }
    }
    if !cert_annotation {
        if s.require_tls_for_all_hosts {
            for (i, rule) in ing.spec.rules.iter().enumerate() {
                match rule.host() {
                    Some(h) => {
                        if !tls
                            .iter()
                            .any(|(_, t)| t.hosts.iter().any(|p| wildcard_covers(p, h)))
                        {
                            findings.object(format!(
                                "spec.rules[{i}].host {h:?} is not covered by spec.tls (no entry that gets a certificate lists it)"
                            ));
                        }
                    }
                    None => {
                        if !tls.iter().any(|(_, t)| t.hosts.is_empty()) {
                            findings.object(format!(
                                "spec.rules[{i}] has no host (catch-all) and no spec.tls entry without hosts covers it"
                            ));
                        }
                    }
                }
            }
            if ing.spec.default_backend.is_some() && !tls.iter().any(|(_, t)| t.hosts.is_empty()) {
                findings.object(
                    "spec.defaultBackend serves every host but no spec.tls entry without hosts covers it",
                );
            }
        } else if tls.is_empty() {
            findings.object(
                "has no spec.tls entry that gets a certificate (a secretName, or any entry for a class in defaultCertificateClasses): it is served over plain HTTP",
            );
        }
    }

    // Plain HTTP disabled or redirected.
    let allow_http = ing.annotation(ALLOW_HTTP).and_then(go_bool);
    if s.require_redirect {
        if allow_http == Some(true) {
            findings.object(format!(
                "metadata.annotations[{ALLOW_HTTP}]=\"true\" asks for plain HTTP"
            ));
        }
        match controller {
            Controller::Agic => {
                if ing.annotation(AGIC_REDIRECT).and_then(go_bool) != Some(true) {
                    findings.object(format!(
                        "is served by the Application Gateway Ingress Controller without metadata.annotations[{AGIC_REDIRECT}]=\"true\", so its HTTP listener answers in plain text"
                    ));
                }
            }
            Controller::Nginx => {
                let redirect = ing.annotation(NGINX_REDIRECT).and_then(go_bool);
                let force = ing.annotation(NGINX_FORCE).and_then(go_bool);
                if redirect == Some(false) && force != Some(true) {
                    findings.object(format!(
                        "metadata.annotations[{NGINX_REDIRECT}]=\"false\" turns off ingress-nginx's redirect to HTTPS"
                    ));
                }
            }
            Controller::Gce => {
                if allow_http != Some(false) {
                    findings.object(format!(
                        "is served by a controller that needs metadata.annotations[{ALLOW_HTTP}]=\"false\" to close plain HTTP"
                    ));
                }
            }
            Controller::TlsOnly => {}
        }
    }
    findings.into_verdict()
}

fn check_gateway(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let gw = match req.object_as::<GatewayView>() {
        Ok(Some(g)) => g,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let allowed = &ctx.settings.gateway_protocols;
    let mut findings = Findings::new();
    for (i, l) in gw.spec.listeners.iter().enumerate() {
        if !allowed.contains(&l.protocol) {
            findings.object(format!(
                "spec.listeners[{i}] ({:?}) has protocol {:?}; allowed: {}",
                l.name,
                l.protocol,
                allowed.join(", ")
            ));
            continue;
        }
        let mode = l
            .tls
            .as_ref()
            .and_then(|t| t.mode.as_deref())
            .unwrap_or("Terminate");
        let certs = l.tls.as_ref().map_or(0, |t| t.certificate_refs.len());
        if l.protocol == "HTTPS" && mode == "Terminate" && certs == 0 {
            findings.object(format!(
                "spec.listeners[{i}] ({:?}) is HTTPS without tls.certificateRefs",
                l.name
            ));
        }
    }
    findings.into_verdict()
}
