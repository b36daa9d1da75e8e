//! The rule: a pure function over the request's namespace, kind and metadata.

use policy_helpers::prelude::*;

use policy_helpers::request::ObjectMeta;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Objects the Kubernetes control plane itself keeps in `default` (group, kind, name).
pub const BUILTINS: &[(&str, &str, &str)] = &[
    ("", "Service", "kubernetes"),
    ("", "Endpoints", "kubernetes"),
    ("discovery.k8s.io", "EndpointSlice", "kubernetes"),
    ("", "ServiceAccount", "default"),
    ("", "ConfigMap", "kube-root-ca.crt"),
];

policy_helpers::view! {
    #[derive(Default)]
    struct Meta {
        metadata: MetaExtra = "metadata",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct MetaExtra {
        deletion_timestamp: Option<String> = "deletionTimestamp",
    }
}

/// Rejects objects whose namespace is denied, unless they are built-ins, of an allowed kind
/// (by default the kinds that harden a namespace), allowed objects, or
/// an UPDATE of an object already being deleted (so finalizers can be removed).
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let meta: ObjectMeta = match req.metadata() {
        Ok(m) => m,
        Err(e) => return Verdict::cannot_read(e),
    };
    let namespace = req.effective_namespace(&meta);
    if namespace.is_empty()
        || !ctx
            .settings
            .denied_namespaces
            .iter()
            .any(|d| d == namespace)
    {
        return Verdict::accept();
    }
    let name = if meta.name.is_empty() {
        req.name.as_deref().unwrap_or("")
    } else {
        meta.name.as_str()
    };
    let kind = req.kind.kind.as_str();
    if BUILTINS
        .iter()
        .any(|(g, k, n)| *g == req.kind.group && *k == kind && *n == name)
    {
        return Verdict::accept();
    }
    if ctx.settings.allowed_kinds.iter().any(|k| k == kind) {
        return Verdict::accept();
    }
    if ctx
        .settings
        .allowed_objects
        .iter()
        .any(|o| o.split_once('/') == Some((kind, name)))
    {
        return Verdict::accept();
    }
    if req.operation == policy_helpers::Operation::Update {
        match req.object_as::<Meta>() {
            Ok(Some(m)) if m.metadata.deletion_timestamp.is_some() => return Verdict::accept(),
            Ok(_) => {}
            Err(e) => return Verdict::cannot_read(e),
        }
    }
    let source = if meta.namespace.is_empty() {
        "the request's namespace"
    } else {
        "metadata.namespace"
    };
    let mut findings = Findings::new();
    findings.object(format!(
        "is in namespace {namespace:?} ({source}), where workloads and other objects may not be created; \
         use a dedicated namespace (denied namespaces: {})",
        ctx.settings.denied_namespaces.join(", ")
    ));
    findings.into_verdict()
}
