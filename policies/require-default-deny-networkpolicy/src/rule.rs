//! The rule: the request's object, and the namespace's NetworkPolicies through the Kubernetes
//! host capability.

use policy_helpers::prelude::*;

use policy_helpers::host;
use policy_helpers::net::{Direction, NetworkPolicyRule, NetworkPolicyView};
use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Request, Verdict};

use crate::settings::Settings;

const NP_API: &str = "networking.k8s.io/v1";

/// Why `np` is not a default-deny policy under the settings, or `None` when it is one.
pub fn why_not_default_deny(np: &NetworkPolicyView, s: &Settings) -> Option<String> {
    if !np.selects_all_pods() {
        return Some("its podSelector is not empty".into());
    }
    for t in &s.required_policy_types {
        let dir = if t == "Egress" {
            Direction::Egress
        } else {
            Direction::Ingress
        };
        if !np.affects(dir) {
            return Some(format!("its policyTypes leave out {t}"));
        }
        let rules = np.rules(dir);
        let allowed = match dir {
            Direction::Ingress => rules.is_empty(),
            Direction::Egress => rules.iter().all(|r| s.allow_dns_egress && dns_only(r)),
        };
        if !allowed {
            let what = if dir == Direction::Egress && s.allow_dns_egress {
                "egress rules other than DNS"
            } else if dir == Direction::Egress {
                "egress rules"
            } else {
                "ingress rules"
            };
            return Some(format!("it has {what}"));
        }
    }
    None
}

/// A rule that allows only DNS: ports listed, each port 53 (or named `dns`/`dns-tcp`) over
/// UDP or TCP.
fn dns_only(rule: &NetworkPolicyRule) -> bool {
    !rule.ports.is_empty()
        && rule.ports.iter().all(|p| {
            let proto_ok = matches!(p.protocol.as_deref(), None | Some("UDP") | Some("TCP"));
            let port_ok = match &p.port {
                Some(port) => match port.number() {
                    Some(n) => n == 53 && p.end_port.is_none_or(|e| e == 53),
                    None => matches!(port, policy_helpers::net::PortRef::Name(n) if n == "dns" || n == "dns-tcp"),
                },
                None => false,
            };
            proto_ok && port_ok
        })
}

/// The default-deny policies of a namespace, or the message of the failed lookup.
fn default_denies(
    namespace: &str,
    s: &Settings,
) -> Result<(Vec<NetworkPolicyView>, Vec<String>), String> {
    let all = host::list_in_namespace::<NetworkPolicyView>(
        NP_API,
        "NetworkPolicy",
        namespace,
        None,
        None,
    )
    .map_err(|e| e.to_string())?;
    let mut denies = Vec::new();
    let mut others = Vec::new();
    for np in all {
        match why_not_default_deny(&np, s) {
            None => denies.push(np),
            Some(why) => others.push(format!("{} ({why})", np.metadata.name)),
        }
    }
    Ok((denies, others))
}

fn missing(namespace: &str, others: &[String], s: &Settings) -> String {
    let found = if others.is_empty() {
        "it has no NetworkPolicy".to_string()
    } else {
        format!("its NetworkPolicies do not qualify: {}", others.join(", "))
    };
    format!(
        "namespace {namespace:?} has no default-deny NetworkPolicy (podSelector {{}}, policyTypes {}, no rules allowing traffic{}); {found}",
        s.required_policy_types.join(" and "),
        if s.allow_dns_egress { " but DNS" } else { "" }
    )
}

policy_helpers::view! {
    #[derive(Default)]
    struct NsMeta {
        name: String = "name",
        creation_timestamp: Option<String> = "creationTimestamp",
        deletion_timestamp: Option<String> = "deletionTimestamp",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct NsStatus {
        phase: Option<String> = "phase",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct NamespaceView {
        metadata: NsMeta = "metadata",
        status: NsStatus = "status",
    }
}

impl NamespaceView {
    fn terminating(&self) -> bool {
        self.metadata.deletion_timestamp.is_some()
            || self.status.phase.as_deref() == Some("Terminating")
    }
}

/// Dispatches on the kind: NetworkPolicy (UPDATE, DELETE), Namespace, pod-bearing kinds.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    match (req.kind.group.as_str(), req.kind.kind.as_str()) {
        ("networking.k8s.io", "NetworkPolicy") => check_policy_change(req, ctx),
        ("", "Namespace") => check_namespace(req, ctx),
        _ => check_workload(req, ctx),
    }
}

fn check_workload(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let s = &ctx.settings;
    if !s.enforcement_point.workloads() || req.operation == Operation::Delete {
        return Verdict::accept();
    }
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    // An object being deleted must be able to lose its finalizers.
    if req.operation == Operation::Update && pod.metadata.deletion_timestamp.is_some() {
        return Verdict::accept();
    }
    let namespace = req.effective_namespace(&pod.metadata).to_string();
    let mut findings = Findings::new();
    match default_denies(&namespace, s) {
        Err(e) => findings.object(format!(
            "cannot be admitted: the NetworkPolicies of namespace {namespace:?} could not be read ({e})"
        )),
        Ok((denies, others)) if denies.is_empty() => {
            findings.object(format!("cannot be admitted: {}", missing(&namespace, &others, s)));
        }
        Ok(_) => {}
    }
    findings.into_verdict()
}

fn check_namespace(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let s = &ctx.settings;
    if !s.enforcement_point.namespaces() || req.operation == Operation::Delete {
        return Verdict::accept();
    }
    let ns = match req.object_as::<NamespaceView>() {
        Ok(Some(n)) => n,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let name = if ns.metadata.name.is_empty() {
        req.name.clone().unwrap_or_default()
    } else {
        ns.metadata.name.clone()
    };
    // The namespace exemption names the namespace itself.
    if ctx.exemptions.exempts_request(req, &name).is_some() || ns.terminating() {
        return Verdict::accept();
    }
    let mut findings = Findings::new();
    if ns.metadata.creation_timestamp.is_none() {
        // A namespace being created cannot hold a NetworkPolicy yet.
        findings.warn(format!(
            "namespace {name:?} is new: create its default-deny NetworkPolicy before its workloads"
        ));
        return findings.into_verdict();
    }
    match default_denies(&name, s) {
        Err(e) => findings.object(format!(
            "cannot be checked: its NetworkPolicies could not be read ({e})"
        )),
        Ok((denies, others)) if denies.is_empty() => findings.object(missing(&name, &others, s)),
        Ok(_) => {}
    }
    findings.into_verdict()
}

fn check_policy_change(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let s = &ctx.settings;
    if req.operation == Operation::Create {
        return Verdict::accept();
    }
    let old = match req.old_object_as::<NetworkPolicyView>() {
        Ok(Some(o)) => o,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    if why_not_default_deny(&old, s).is_some() {
        return Verdict::accept();
    }
    let verb = if req.operation == Operation::Update {
        let new = match req.object_as::<NetworkPolicyView>() {
            Ok(Some(n)) => n,
            Ok(None) => return Verdict::accept(),
            Err(e) => return Verdict::cannot_read(e),
        };
        if new.metadata.deletion_timestamp.is_some() {
            return Verdict::accept();
        }
        match why_not_default_deny(&new, s) {
            None => return Verdict::accept(),
            Some(why) => format!("this update makes it no longer default-deny ({why})"),
        }
    } else {
        "it cannot be deleted".to_string()
    };
    let namespace = req.effective_namespace(&old.metadata).to_string();
    let mut findings = Findings::new();
    // The namespace controller deletes everything of a terminating namespace.
    match host::get::<NamespaceView>("v1", "Namespace", &namespace, None) {
        Ok(None) => return Verdict::accept(),
        Ok(Some(ns)) if ns.terminating() => return Verdict::accept(),
        Ok(Some(_)) => {}
        Err(e) => {
            findings.object(format!(
                "is a default-deny NetworkPolicy and namespace {namespace:?} could not be read ({e})"
            ));
            return findings.into_verdict();
        }
    }
    match default_denies(&namespace, s) {
        Err(e) => findings.object(format!(
            "is a default-deny NetworkPolicy and the NetworkPolicies of namespace {namespace:?} could not be read ({e})"
        )),
        Ok((denies, _)) => {
            if !denies.iter().any(|d| d.metadata.name != old.metadata.name) {
                findings.object(format!(
                    "is the only default-deny NetworkPolicy of namespace {namespace:?}: {verb}"
                ));
            }
        }
    }
    findings.into_verdict()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn np(json: &str) -> NetworkPolicyView {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn what_counts_as_default_deny() {
        let s = Settings::default();
        let deny = np(r#"{"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"]}}"#);
        assert_eq!(why_not_default_deny(&deny, &s), None);
        let dns = np(
            r#"{"spec":{"policyTypes":["Ingress","Egress"],"egress":[{"ports":[{"port":53,"protocol":"UDP"},{"port":"dns-tcp","protocol":"TCP"}]}]}}"#,
        );
        assert_eq!(why_not_default_deny(&dns, &s), None);
        let strict = Settings {
            allow_dns_egress: false,
            ..Settings::default()
        };
        assert_eq!(
            why_not_default_deny(&dns, &strict).as_deref(),
            Some("it has egress rules")
        );
        // A DNS rule that also opens a range, or has no ports, is not DNS-only.
        for rule in [
            r#"{"ports":[{"port":53,"endPort":80}]}"#,
            r#"{"ports":[{"port":53,"protocol":"SCTP"}]}"#,
            r#"{"to":[{"podSelector":{}}]}"#,
        ] {
            let p = np(&format!(
                r#"{{"spec":{{"policyTypes":["Ingress","Egress"],"egress":[{rule}]}}}}"#
            ));
            assert_eq!(
                why_not_default_deny(&p, &s).as_deref(),
                Some("it has egress rules other than DNS"),
                "{rule}"
            );
        }
        let ingress_only = np(r#"{"spec":{"podSelector":{}}}"#);
        assert_eq!(
            why_not_default_deny(&ingress_only, &s).as_deref(),
            Some("its policyTypes leave out Egress")
        );
        let narrow = np(
            r#"{"spec":{"podSelector":{"matchExpressions":[{"key":"a","operator":"Exists"}]},"policyTypes":["Ingress","Egress"]}}"#,
        );
        assert_eq!(
            why_not_default_deny(&narrow, &s).as_deref(),
            Some("its podSelector is not empty")
        );
        let open = np(r#"{"spec":{"policyTypes":["Ingress","Egress"],"ingress":[{}]}}"#);
        assert_eq!(
            why_not_default_deny(&open, &s).as_deref(),
            Some("it has ingress rules")
        );
    }
}
