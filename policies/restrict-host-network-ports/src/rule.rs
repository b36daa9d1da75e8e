//! The rule: a pure function over the pod view.

use policy_helpers::prelude::*;

use policy_helpers::pod::{ContainerRef, Handler, Lifecycle, PodObject};
use policy_helpers::ranges::{any_contains, show_all};
use policy_helpers::request::decode;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use serde_json::value::RawValue;

use crate::settings::Settings;

/// Records a host port outside the allowed ranges; malformed `ports` are the 400 rejection
/// naming their field path.
fn check_ports(
    c: &ContainerRef<'_>,
    host_network: bool,
    s: &Settings,
    findings: &mut Findings,
) -> Result<(), Verdict> {
    let ports = c.ports().map_err(Verdict::cannot_read)?;
    for (i, p) in ports.iter().enumerate() {
        let (port, field) = match (p.host_port.filter(|hp| *hp != 0), p.container_port) {
            (Some(hp), _) => (hp, format!("ports[{i}].hostPort={hp}")),
            // On the host network the API server defaults hostPort to containerPort: the
            // container port is a port of the node.
            (None, Some(cp)) if host_network => (
                cp,
                format!("ports[{i}].containerPort={cp} on the host network"),
            ),
            _ => continue,
        };
        if !any_contains(&s.allowed_host_ports, port) {
            let allowed = if s.allowed_host_ports.is_empty() {
                "no host port is allowed".to_owned()
            } else {
                format!("allowed: {}", show_all(&s.allowed_host_ports))
            };
            findings.container(c, format!("uses host port {port} ({field}); {allowed}"));
        }
    }
    Ok(())
}

/// Decodes a raw probe or lifecycle handler; a malformed one is the 400 rejection naming its
/// full field path.
fn decode_raw<T: policy_helpers::json::DecodeOwned>(
    c: &ContainerRef<'_>,
    field: &str,
    raw: Option<&RawValue>,
) -> Result<Option<T>, Verdict> {
    let Some(raw) = raw else { return Ok(None) };
    decode::<Option<T>>(raw.get()).map_err(|e| {
        let inner = if e.path.is_empty() {
            String::new()
        } else {
            format!(".{}", e.path)
        };
        Verdict::unreadable(format!(
            "cannot be read: {}.{field}{inner}: {}",
            c.path(),
            e.reason
        ))
    })
}

/// Records probes and lifecycle hooks that name a `host` (the kubelet would connect there
/// instead of the pod).
fn check_handlers(c: &ContainerRef<'_>, findings: &mut Findings) -> Result<(), Verdict> {
    let k = c.container;
    let life: Option<Lifecycle> = decode_raw(c, "lifecycle", k.lifecycle)?;
    let life = life.unwrap_or_default();
    let handlers: [(&str, Option<Handler>); 5] = [
        (
            "livenessProbe",
            decode_raw(c, "livenessProbe", k.liveness_probe)?,
        ),
        (
            "readinessProbe",
            decode_raw(c, "readinessProbe", k.readiness_probe)?,
        ),
        (
            "startupProbe",
            decode_raw(c, "startupProbe", k.startup_probe)?,
        ),
        ("lifecycle.postStart", life.post_start),
        ("lifecycle.preStop", life.pre_stop),
    ];
    for (name, h) in handlers {
        let Some(h) = h else { continue };
        for (action, target) in [("httpGet", &h.http_get), ("tcpSocket", &h.tcp_socket)] {
            if let Some(host) = target.as_ref().and_then(|t| t.host.as_deref())
                && !host.is_empty()
            {
                findings.container(
                    c,
                    format!(
                        "sets {name}.{action}.host={host:?} (the kubelet would connect to that host from the node, not to the pod)"
                    ),
                );
            }
        }
    }
    Ok(())
}

/// Rejects `hostNetwork: true` unless allowed, host ports outside the allowed ranges (on the
/// host network every container port is a host port), and probes or lifecycle hooks with a
/// `host`. `hostNetwork` cannot change through the `pods/ephemeralcontainers` subresource, so
/// there only the ephemeral containers are checked.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let s = &ctx.settings;
    let host_network = pod.spec.host_network == Some(true);
    let mut findings = Findings::new();
    if host_network && !s.allow_host_network && !pod.ephemeral_only {
        findings.object(format!(
            "sets {}.hostNetwork=true (the node's network namespace: node interfaces, localhost services and traffic of other pods are reachable)",
            pod.spec_path()
        ));
    }
    for c in pod.checked_containers(&ctx.exemptions) {
        if let Err(rejection) =
            check_ports(&c, host_network && s.allow_host_network, s, &mut findings)
                .and_then(|()| check_handlers(&c, &mut findings))
        {
            return rejection;
        }
    }
    findings.into_verdict()
}
