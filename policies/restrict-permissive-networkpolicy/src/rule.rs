//! The rule: a pure function over the NetworkPolicy view.

use policy_helpers::prelude::*;

use policy_helpers::glob::{compile_list, matches_any};
use policy_helpers::net::{
    AddrSet, Direction, IpNet, NetworkPolicyRule, NetworkPolicyView, ip_block_addresses,
    written_as_ipv6,
};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{Settings, exempt_policies};

/// How many ipBlocks a message lists.
const LISTED: usize = 8;

/// Rejects rules that open everything: peer-less rules on ports outside
/// `allowAnyPeerOnPorts`, `ipBlock`s covering a denied CIDR without `except`,
/// `namespaceSelector: {}` outside the allowed namespaces, and egress reaching a metadata
/// endpoint.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let np = match req.object_as::<NetworkPolicyView>() {
        Ok(Some(n)) => n,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
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
    let all_ns_ok = compile_list(
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
    // Whether a port entry lies in allowAnyPeerOnPorts (an entry without a port is every port).
    let port_ok = |p: &policy_helpers::net::NetworkPolicyPort| match &p.port {
        None => false,
        Some(port) => match port.number() {
            Some(n) => s
                .allow_any_peer_on_ports
                .contains_range(n, p.end_port.unwrap_or(n)),
            None => s.allow_any_peer_on_ports.contains(port),
        },
    };
    // A rule whose every port is one any peer may reach (DNS by default) opens no more with
    // any peer than without peers, which is accepted: e.g. the DNS egress of a default-deny
    // policy, `to: [{namespaceSelector: {}, podSelector: {k8s-app: kube-dns}}]` on port 53.
    let only_any_peer_ports = !rule.ports.is_empty() && rule.ports.iter().all(port_ok);
    if rule.peers.is_empty() {
        if rule.ports.is_empty() {
            findings.object(format!(
                "{at} has no {peers} ({every}) and no ports (every port): it allows all traffic"
            ));
        } else {
            for (j, p) in rule.ports.iter().enumerate() {
                if !port_ok(p) {
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
    // What the rule's ipBlocks admit together: the dataplane allows a packet matching any peer,
    // so the union is what the rule opens (`0.0.0.0/1` plus `128.0.0.0/1` is `0.0.0.0/0`).
    let mut union = AddrSet::new();
    let mut blocks: Vec<String> = Vec::new();
    let mut single: Vec<IpNet> = Vec::new();
    let mut listed_out = 0usize;
    for (j, peer) in rule.peers.iter().enumerate() {
        let pat = format!("{at}.{peers}[{j}]");
        if peer
            .namespace_selector
            .as_ref()
            .is_some_and(|n| n.is_empty())
            && !all_ns_ok
            && !only_any_peer_ports
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
                findings.object(format!(
                    "{pat}.ipBlock.cidr: {e}{}",
                    leading_zero_note(&block.cidr)
                ));
                continue;
            }
        };
        let mut except = Vec::with_capacity(block.except.len());
        for (k, e) in block.except.iter().enumerate() {
            match IpNet::parse(e) {
                Ok(n) => except.push((e.as_str(), n)),
                Err(err) => findings.object(format!(
                    "{pat}.ipBlock.except[{k}]: {err}{}",
                    leading_zero_note(e)
                )),
            }
        }
        if block.except.is_empty()
            && let Some(d) = s.denied_cidrs.iter().find(|d| cidr.contains(d))
        {
            single.push(*d);
            findings.object(format!(
                "{pat}.ipBlock.cidr {:?} covers {d} without except",
                block.cidr
            ));
        }
        let admitted = ip_block_addresses(&block.cidr, &cidr, &except);
        union.add_set(&admitted);
        let idle: Vec<&str> = except
            .iter()
            .filter(|(t, _)| written_as_ipv6(t) != written_as_ipv6(&block.cidr))
            .map(|(t, _)| *t)
            .collect();
        let mut what = format!("{peers}[{j}] {:?}", block.cidr);
        if !block.except.is_empty() {
            what.push_str(&format!(" except {:?}", block.except));
        }
        if !idle.is_empty() {
            what.push_str(&format!(
                " ({idle:?} in the other notation carves nothing out)"
            ));
        }
        if blocks.len() < LISTED {
            blocks.push(what);
        } else {
            listed_out += 1;
        }
        // The addresses of a metadata endpoint this block reaches (an `except` in the other
        // notation does not protect it).
        if dir == Direction::Egress
            && let Some(m) = s.metadata_endpoints.iter().find(|m| admitted.meets(m))
        {
            findings.object(format!(
                "{pat}.ipBlock.cidr {:?} reaches the instance metadata endpoint {m} (add it to except)",
                block.cidr
            ));
        }
    }
    if listed_out > 0 {
        blocks.push(format!("and {listed_out} more"));
    }
    for d in &s.denied_cidrs {
        if !single.contains(d) && union.covers(d) {
            findings.object(format!(
                "{at}.{peers}: its ipBlocks admit every address of {d}, as open as {d} itself: {}",
                blocks.join(", ")
            ));
        }
    }
}

/// Why a CIDR with a zero-led octet is refused: the API server (before strict validation)
/// reads `010` as decimal 10, Go's current parser (CNI dataplanes) refuses it and C resolvers
/// read it as octal 8, so what the rule opens depends on who reads it.
fn leading_zero_note(text: &str) -> &'static str {
    let addr = text.split('/').next().unwrap_or("");
    let zero_led = !written_as_ipv6(addr)
        && addr
            .split('.')
            .any(|o| o.len() > 1 && o.starts_with('0') && o.bytes().all(|b| b.is_ascii_digit()));
    if zero_led {
        " (an octet with a leading zero: the API server reads it as decimal, dataplanes refuse it or read it as octal; write the address without leading zeros)"
    } else {
        ""
    }
}
