//! The rule: a pure function over the Service view.

use policy_helpers::prelude::*;

use policy_helpers::glob::{compile_list, matches_any};
use policy_helpers::net::ServiceView;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Rejects a `NodePort` Service outside the allowed namespaces (and, when
/// `denyExplicitNodePorts` is set, a `LoadBalancer` Service that pins `nodePort`s).
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let svc = match req.object_as::<ServiceView>() {
        Ok(Some(s)) => s,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let s = &ctx.settings;
    let namespace = req.effective_namespace(&svc.metadata);
    let allowed = compile_list("allowNamespaces", &s.allow_namespaces)
        .map(|g| matches_any(&g, namespace))
        .unwrap_or(false);
    if allowed {
        return Verdict::accept();
    }
    let where_ = if s.allow_namespaces.is_empty() {
        "NodePort Services are allowed in no namespace".to_string()
    } else {
        format!(
            "NodePort Services are allowed only in namespaces {}",
            s.allow_namespaces.join(", ")
        )
    };
    let mut findings = Findings::new();
    match svc.service_type() {
        "NodePort" => {
            let ports: Vec<String> = svc
                .spec
                .ports
                .iter()
                .map(|p| match (p.node_port, p.port) {
                    (Some(n), _) => n.to_string(),
                    (None, Some(p)) => format!("a node port for {p}"),
                    (None, None) => "a node port".to_string(),
                })
                .collect();
            let what = if ports.is_empty() {
                String::new()
            } else {
                format!(" ({})", ports.join(", "))
            };
            findings.object(format!(
                "has spec.type=NodePort, which opens a port{what} on every node's address; {where_}"
            ));
        }
        "LoadBalancer" if s.deny_explicit_node_ports => {
            for (i, p) in svc.spec.ports.iter().enumerate() {
                if let Some(n) = p.node_port.filter(|n| *n != 0) {
                    findings.object(format!(
                        "spec.ports[{i}].nodePort={n} pins a node port on a LoadBalancer Service; {where_}"
                    ));
                }
            }
        }
        _ => {}
    }
    findings.into_verdict()
}
