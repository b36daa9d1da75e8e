//! The rule: a pure function over the pod view.

use policy_helpers::prelude::*;

use policy_helpers::pod::{ContainerKind, PodKind, PodObject};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{Settings, pod_kind};

/// Rejects every long-running container (regular containers and native sidecars, i.e. init
/// containers with `restartPolicy: Always`) that lacks a required probe or whose required probe
/// names no handler. Other init containers run to completion before the pod is ready and
/// ephemeral containers cannot declare probes, so neither is checked (through
/// `pods/ephemeralcontainers` nothing else can change, so that request is accepted).
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let s = &ctx.settings;
    let kind = PodKind::of(&req.kind.group, &req.kind.kind);
    if kind.is_some() && s.ignored_kinds.iter().any(|k| pod_kind(k) == kind) {
        return Verdict::accept();
    }
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    // A Pod whose controller is of an ignored kind (the Pods of a Job) is left alone too.
    if pod.kind == PodKind::Pod {
        let owners = match pod.metadata.owner_references() {
            Ok(o) => o,
            Err(e) => return Verdict::cannot_read(e),
        };
        if owners
            .iter()
            .any(|o| o.controller == Some(true) && s.ignored_kinds.contains(&o.kind))
        {
            return Verdict::accept();
        }
    }
    let probes = s.probes();
    let mut findings = Findings::new();
    for c in pod.checked_containers(&ctx.exemptions).filter(|c| {
        c.kind == ContainerKind::Regular
            || (c.kind == ContainerKind::Init
                && c.container.restart_policy.as_deref() == Some("Always"))
    }) {
        let mut missing = Vec::new();
        let mut empty = Vec::new();
        for which in &probes {
            match c.probe(*which) {
                Err(e) => return Verdict::cannot_read(e),
                Ok(None) => missing.push(which.field()),
                Ok(Some(p)) if !p.has_handler() => empty.push(which.field()),
                Ok(Some(_)) => {}
            }
        }
        if !missing.is_empty() {
            findings.container(
                &c,
                format!("defines no {} (requiredProbes)", missing.join(" and no ")),
            );
        }
        for field in empty {
            findings.container(
                &c,
                format!("sets {field} without a handler (exec, httpGet, tcpSocket or grpc)"),
            );
        }
    }
    findings.into_verdict()
}
