//! The rule: a pure function over the request's kind, namespace and (for Services and CRDs)
//! a few fields of the object.

use policy_helpers::prelude::*;

use policy_helpers::net::parse_ipv4_inet_aton;
use policy_helpers::request::ObjectError;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Request, Verdict};

use crate::settings::Settings;

policy_helpers::view! {
    #[derive(Default)]
    struct ServiceView {
        spec: ServiceSpec = "spec",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct ServiceSpec {
        kind: Option<String> = "type",
        external_name: Option<String> = "externalName",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct CrdView {
        spec: CrdSpec = "spec",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct CrdSpec {
        group: Option<String> = "group",
    }
}

/// Why an ExternalName target is node-local or a platform endpoint, if it is one.
pub fn local_target(name: &str) -> Option<&'static str> {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    let n = n.trim_start_matches('[').trim_end_matches(']');
    if n == "localhost" || n.ends_with(".localhost") || n == "localhost.localdomain" {
        return Some("a localhost name");
    }
    if n == "::1" || n == "0:0:0:0:0:0:0:1" {
        return Some("the IPv6 loopback address");
    }
    if n == "::" {
        return Some("the unspecified address");
    }
    if n.starts_with("fe80:") {
        return Some("an IPv6 link-local address");
    }
    // A client resolves the target with its C resolver, which reads every `inet_aton`
    // spelling of an IPv4 address (`2852039166`, `0xa9fea9fe`, `0251.0376.0251.0376`,
    // `169.254.43518`) as that address before any DNS lookup.
    let ip = parse_ipv4_inet_aton(n)?.octets();
    match ip {
        [127, ..] => Some("a loopback address"),
        [0, ..] => Some("the unspecified address"),
        [169, 254, ..] => Some("a link-local address (instance metadata)"),
        [168, 63, 129, 16] => Some("the Azure platform address (WireServer)"),
        _ => None,
    }
}

fn unreadable(e: ObjectError) -> Verdict {
    Verdict::cannot_read(e)
}

/// Rejects the creation of a denied kind, a request to a denied subresource, a
/// CustomResourceDefinition outside the approved groups, and a Service whose `externalName`
/// is not allowed. UPDATE of an existing object of a denied kind is accepted, so existing
/// objects can be changed and removed.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let s = &ctx.settings;
    let compiled = match s.compile() {
        Ok(c) => c,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    let meta = match req.metadata() {
        Ok(m) => m,
        Err(e) => return unreadable(e),
    };
    let namespace = req.effective_namespace(&meta);
    let group = req.kind.group.as_str();
    let kind = req.kind.kind.as_str();
    let sub = req.subresource();
    let mut findings = Findings::new();

    if (req.operation == Operation::Create || sub.is_some())
        && let Some(k) = compiled
            .denied_kinds
            .iter()
            .find(|k| k.matches(group, kind, namespace, sub))
    {
        let qualified = if group.is_empty() {
            format!("kind {kind} (core)")
        } else {
            format!("kind {kind} ({group})")
        };
        let what = match sub {
            Some(sr) => format!("the {sr} subresource of {qualified} is denied"),
            None => format!("{qualified} may not be created"),
        };
        let place = if k.namespaces.is_empty() {
            String::new()
        } else {
            format!(" in namespace {namespace:?}")
        };
        let why = k
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        findings.object(format!("{what}{place} (deniedKinds[{}]){why}", k.index));
    }

    if req.operation == Operation::Create
        && group == "apiextensions.k8s.io"
        && kind == "CustomResourceDefinition"
        && !compiled.allowed_crd_groups.is_empty()
    {
        let crd = match req.object_as::<CrdView>() {
            Ok(v) => v.unwrap_or_default(),
            Err(e) => return unreadable(e),
        };
        let g = crd.spec.group.unwrap_or_default();
        if !compiled.allowed_crd_groups.iter().any(|p| p.matches(&g)) {
            findings.object(format!(
                "spec.group {g:?} is not an approved API group (allowedCRDGroups: {})",
                s.allowed_crd_groups.join(", ")
            ));
        }
    }

    if group.is_empty()
        && kind == "Service"
        && sub.is_none()
        && (s.deny_local_external_names || s.deny_external_name_services)
    {
        let svc = match req.object_as::<ServiceView>() {
            Ok(v) => v.unwrap_or_default(),
            Err(e) => return unreadable(e),
        };
        if svc.spec.kind.as_deref() == Some("ExternalName") {
            let target = svc.spec.external_name.unwrap_or_default();
            if s.deny_external_name_services {
                findings.object(format!(
                    "spec.type is ExternalName (spec.externalName {target:?}); ExternalName Services are denied (denyExternalNameServices)"
                ));
            } else if let Some(why) = local_target(&target) {
                findings.object(format!(
                    "spec.externalName {target:?} is {why}: an ExternalName Service may not point at the node or the platform (denyLocalExternalNames)"
                ));
            }
        }
    }
    findings.into_verdict()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_targets() {
        for n in [
            "localhost",
            "LOCALHOST.",
            "api.localhost",
            "127.0.0.1",
            "127.1.2.3",
            "0.0.0.0",
            "169.254.169.254",
            "168.63.129.16",
            "::1",
            "[::1]",
            "fe80::1",
            "2852039166",
            "0xa9fea9fe",
            "0251.0376.0251.0376",
            "169.254.43518",
            "127.1",
            "127.0.0",
            "0x7f.1",
            "0",
        ] {
            assert!(local_target(n).is_some(), "{n}");
        }
        for n in [
            "db.example.com",
            "localhost.example.com",
            "10.0.0.4",
            "128.0.0.1",
            "1270.0.0.1",
            "168.63.129.17",
            "1.2.3",
            "08.0.0.1",
            "",
        ] {
            assert!(local_target(n).is_none(), "{n}");
        }
    }
}
