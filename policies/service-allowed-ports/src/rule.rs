//! The rule: pure functions over the Service view and the pod view.

use policy_helpers::prelude::*;

use policy_helpers::net::{PortRef, PortSpec, ServiceView};
use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Services: every `spec.ports[].port` in `allowedServicePorts`, every `targetPort` in
/// `allowedTargetPorts` when set. Pod-bearing kinds: every container port in
/// `allowedContainerPorts` when set.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    if req.kind.group.is_empty() && req.kind.kind == "Service" {
        return check_service(req, ctx);
    }
    if ctx.settings.allowed_container_ports.is_empty() {
        return Verdict::accept();
    }
    check_pod(req, ctx)
}

fn check_service(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let svc = match req.object_as::<ServiceView>() {
        Ok(Some(s)) => s,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    if svc.service_type() == "ExternalName" {
        return Verdict::accept();
    }
    let s = &ctx.settings;
    let mut findings = Findings::new();
    for (i, p) in svc.spec.ports.iter().enumerate() {
        if let Some(port) = p.port
            && !s.allowed_service_ports.contains_number(port)
        {
            findings.object(format!(
                "spec.ports[{i}].port={port} is not an allowed Service port (allowed: {})",
                s.allowed_service_ports.describe()
            ));
        }
        if s.allowed_target_ports.is_empty() {
            continue;
        }
        let (target, field) = match &p.target_port {
            Some(t) => (t.clone(), "targetPort"),
            None => match p.port {
                Some(n) => (PortRef::Number(n), "targetPort (defaulted from port)"),
                None => continue,
            },
        };
        let ok = match (&target, target.number()) {
            (_, Some(n)) => s.allowed_target_ports.contains_number(n),
            // A named target port resolves to a container port of the selected pods, which
            // allowedContainerPorts checks; it is matched by name only when names are listed.
            (PortRef::Name(name), None) => {
                !has_names(&s.allowed_target_ports) || s.allowed_target_ports.contains_name(name)
            }
            (PortRef::Number(_), None) => false,
        };
        if !ok {
            findings.object(format!(
                "spec.ports[{i}].{field}={target} is not an allowed target port (allowed: {})",
                s.allowed_target_ports.describe()
            ));
        }
    }
    findings.into_verdict()
}

fn has_names(set: &policy_helpers::net::PortSet) -> bool {
    set.0.iter().any(|p| matches!(p, PortSpec::Name(_)))
}

fn check_pod(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let allowed = &ctx.settings.allowed_container_ports;
    let mut findings = Findings::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        let ports = match c.ports() {
            Ok(ports) => ports,
            Err(e) => return Verdict::cannot_read(e),
        };
        for (i, p) in ports.iter().enumerate() {
            if let Some(n) = p.container_port
                && !allowed.contains_number(n)
            {
                findings.container(
                    &c,
                    format!(
                        "declares ports[{i}].containerPort={n}, not an allowed container port (allowed: {})",
                        allowed.describe()
                    ),
                );
            }
        }
    }
    findings.into_verdict()
}
