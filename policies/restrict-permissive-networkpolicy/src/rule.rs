//! The rule: a pure function over the NetworkPolicy view.

use policy_helpers::net::{
    Direction, IpNet, NetworkPolicyRule, NetworkPolicyView, compile_globs, matches_any,
};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{Settings, exempt_policies};

/// Rejects rules that open everything: peer-less rules on ports outside
/// `allowAnyPeerOnPorts`, `ipBlock`s covering a denied CIDR without `except`,
/// `namespaceSelector: {}` outside the allowed namespaces, and egress reaching a metadata
/// endpoint.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let np = match req.object_as::<NetworkPolicyView>() {
        Ok(Some(n)) => n,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::unreadable(format!("cannot be read: {e}")),
    };
    let s = &ctx.settings;
    let namespace = req.effective_namespace(&np.metadata).to_string();
    let name = if np.metadata.name.is_empty() {
        req.name.clone().unwrap_or_default()
    } else {
        np.metadata.name.clone()
    };
    if exempt_policies(&s.exempt_policies)
        .unwrap_or_default()
        .iter()
        .any(|(n, m)| n.matches(&namespace) && m.matches(&name))
    {
        return Verdict::accept();
    }
    let all_ns_ok = compile_globs(
        "allowAllNamespacesSelector",
        &s.allow_all_namespaces_selector,
    )
    .map(|g| matches_any(&g, &namespace))
    .unwrap_or(false);
    let mut findings = Findings::new();
    for dir in [Direction::Ingress, Direction::Egress] {
        for (i, rule) in np.rules(dir).iter().enumerate() {
            check_rule(dir, i, rule, s, all_ns_ok, &mut findings);
        }
    }
    findings.into_verdict()
}

fn check_rule(
    dir: Direction,
    i: usize,
    rule: &NetworkPolicyRule,
    s: &Settings,
    all_ns_ok: bool,
    findings: &mut Findings,
) {
    let at = format!("spec.{}[{i}]", dir.field());
    let peers = dir.peers_field();
    let every = match dir {
        Direction::Ingress => "every source",
        Direction::Egress => "every destination",
    };
    if rule.peers.is_empty() {
        if rule.ports.is_empty() {
            findings.object(format!(
                "{at} has no {peers} ({every}) and no ports (every port): it allows all traffic"
            ));
        } else {
            for (j, p) in rule.ports.iter().enumerate() {
                let ok = match &p.port {
                    None => false,
                    Some(port) => match port.number() {
                        Some(n) => s
                            .allow_any_peer_on_ports
                            .contains_range(n, p.end_port.unwrap_or(n)),
                        None => s.allow_any_peer_on_ports.contains(port),
                    },
                };
                if !ok {
                    let what = match (&p.port, p.end_port) {
                        (None, _) => "every port".to_string(),
                        (Some(port), Some(end)) => format!("ports {port}-{end}"),
                        (Some(port), None) => format!("port {port}"),
                    };
                    findings.object(format!(
                        "{at} has no {peers} ({every}) and {at}.ports[{j}] opens {what}, outside allowAnyPeerOnPorts ({})",
                        s.allow_any_peer_on_ports.describe()
                    ));
                }
            }
        }
        return;
    }
    for (j, peer) in rule.peers.iter().enumerate() {
        let pat = format!("{at}.{peers}[{j}]");
        if peer
            .namespace_selector
            .as_ref()
            .is_some_and(|n| n.is_empty())
            && !all_ns_ok
        {
            findings.object(format!(
                "{pat}.namespaceSelector is empty: it selects every namespace"
            ));
        }
        let Some(block) = &peer.ip_block else {
            continue;
        };
        let cidr = match IpNet::parse(&block.cidr) {
            Ok(c) => c,
            Err(e) => {
                findings.object(format!("{pat}.ipBlock.cidr: {e}"));
                continue;
            }
        };
        let mut except = Vec::with_capacity(block.except.len());
        for (k, e) in block.except.iter().enumerate() {
            match IpNet::parse(e) {
                Ok(n) => except.push(n),
                Err(err) => findings.object(format!("{pat}.ipBlock.except[{k}]: {err}")),
            }
        }
        if block.except.is_empty()
            && let Some(d) = s.denied_cidrs.iter().find(|d| cidr.contains(d))
        {
            findings.object(format!(
                "{pat}.ipBlock.cidr {:?} covers {d} without except",
                block.cidr
            ));
        }
        // The addresses of a metadata endpoint this block reaches: the smaller of the two
        // (CIDRs either nest or are disjoint), unless an `except` covers them.
        let reaches = |m: &IpNet| {
            let inter = if cidr.contains(m) {
                *m
            } else if m.contains(&cidr) {
                cidr
            } else {
                return false;
            };
            !except.iter().any(|e| e.contains(&inter))
        };
        if dir == Direction::Egress
            && let Some(m) = s.metadata_endpoints.iter().find(|m| reaches(m))
        {
            findings.object(format!(
                "{pat}.ipBlock.cidr {:?} reaches the instance metadata endpoint {m} (add it to except)",
                block.cidr
            ));
        }
    }
}
