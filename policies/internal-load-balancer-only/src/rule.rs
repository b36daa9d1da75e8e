//! The rule: a pure function over the Service view.

use policy_helpers::prelude::*;

use policy_helpers::consumer::azure_cloud_provider_true;
use policy_helpers::glob::{compile_list, matches_any};
use policy_helpers::net::{AddrSet, IpNet, ServiceView};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// The AKS annotation that asks the Azure cloud provider for an internal load balancer, read
/// with [`azure_cloud_provider_true`] (`"true"` in any letter case, untrimmed).
pub const INTERNAL: &str = "service.beta.kubernetes.io/azure-load-balancer-internal";
/// The Kubernetes annotation read when `spec.loadBalancerSourceRanges` is empty.
pub const LEGACY_RANGES: &str = "service.beta.kubernetes.io/load-balancer-source-ranges";
/// The Azure annotation with extra allowed IP ranges.
pub const AZURE_RANGES: &str = "service.beta.kubernetes.io/azure-allowed-ip-ranges";
/// The Azure annotation with allowed service tags.
pub const AZURE_TAGS: &str = "service.beta.kubernetes.io/azure-allowed-service-tags";

/// How many source ranges a message lists.
const LISTED: usize = 8;

/// Rejects a public `LoadBalancer` Service outside the allowed namespaces, and an allowed one
/// whose source ranges are missing, malformed or too broad.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let svc = match req.object_as::<ServiceView>() {
        Ok(Some(s)) => s,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    if svc.service_type() != "LoadBalancer" {
        return Verdict::accept();
    }
    let internal = svc.metadata.annotations.get(INTERNAL).map(String::as_str);
    if internal.is_some_and(azure_cloud_provider_true) {
        return Verdict::accept();
    }
    let s = &ctx.settings;
    let mut findings = Findings::new();
    let namespace = req.effective_namespace(&svc.metadata);
    let allowed = compile_list("allowPublicInNamespaces", &s.allow_public_in_namespaces)
        .map(|g| matches_any(&g, namespace))
        .unwrap_or(false);
    let why = match internal {
        None => {
            format!("has spec.type=LoadBalancer without metadata.annotations[{INTERNAL}]=\"true\"")
        }
        Some(v) => format!(
            "has spec.type=LoadBalancer with metadata.annotations[{INTERNAL}]={v:?} (the Azure cloud provider makes it internal only for \"true\" in any letter case, without spaces)"
        ),
    };
    if !allowed {
        let where_ = if s.allow_public_in_namespaces.is_empty() {
            "public load balancers are allowed in no namespace".to_string()
        } else {
            format!(
                "public load balancers are allowed only in namespaces {}",
                s.allow_public_in_namespaces.join(", ")
            )
        };
        findings.object(format!("{why}, so Azure gives it a public IP; {where_}"));
        return findings.into_verdict();
    }
    if !s.require_source_ranges {
        return Verdict::accept();
    }

    // The ranges the load balancer admits, with where each was written.
    let mut ranges: Vec<(String, &str)> = svc
        .spec
        .load_balancer_source_ranges
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("spec.loadBalancerSourceRanges[{i}]"), r.as_str()))
        .collect();
    if ranges.is_empty()
        && let Some(v) = svc.metadata.annotations.get(LEGACY_RANGES)
    {
        ranges.extend(
            v.split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(|r| (format!("metadata.annotations[{LEGACY_RANGES}]"), r)),
        );
    }
    if let Some(v) = svc.metadata.annotations.get(AZURE_RANGES) {
        ranges.extend(
            v.split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(|r| (format!("metadata.annotations[{AZURE_RANGES}]"), r)),
        );
    }
    let tags: Vec<&str> = svc
        .metadata
        .annotations
        .get(AZURE_TAGS)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default();

    if ranges.is_empty() && tags.is_empty() {
        findings.object(format!(
            "is a public load balancer (spec.type=LoadBalancer without metadata.annotations[{INTERNAL}]=\"true\") \
             with no source ranges: set spec.loadBalancerSourceRanges to the client networks"
        ));
    }
    // Read as the API server validates them and the Azure cloud provider applies them
    // (`ParseCIDRSloppy`: a zero-led octet is decimal); the load balancer admits their union.
    let mut union = AddrSet::new();
    let mut single: Vec<IpNet> = Vec::new();
    for (field, text) in &ranges {
        match IpNet::parse_sloppy(text) {
            Err(e) => findings.object(format!("{field}: {e}")),
            Ok(net) => {
                union.add(&net);
                if let Some(d) = s.denied_source_ranges.iter().find(|d| net.contains(d)) {
                    single.push(*d);
                    findings.object(format!(
                        "{field}={text:?} admits the denied range {d} on a public load balancer"
                    ));
                    continue;
                }
                let min = if net.is_v4() {
                    s.min_source_range_prefix.ipv4
                } else {
                    s.min_source_range_prefix.ipv6
                };
                if net.prefix() < min {
                    findings.object(format!(
                        "{field}={text:?} is broader than /{min} (minSourceRangePrefix) on a public load balancer"
                    ));
                }
            }
        }
    }
    for d in &s.denied_source_ranges {
        if !single.contains(d) && union.covers(d) {
            let mut all: Vec<String> = ranges
                .iter()
                .take(LISTED)
                .map(|(field, text)| format!("{field}={text:?}"))
                .collect();
            if ranges.len() > LISTED {
                all.push(format!("and {} more", ranges.len() - LISTED));
            }
            findings.object(format!(
                "the source ranges together admit every address of the denied range {d} on a public load balancer: {}",
                all.join(", ")
            ));
        }
    }
    for t in tags {
        if !s
            .allowed_service_tags
            .iter()
            .any(|a| a.eq_ignore_ascii_case(t))
        {
            findings.object(format!(
                "metadata.annotations[{AZURE_TAGS}] admits the service tag {t:?}, which is not in allowedServiceTags"
            ));
        }
    }
    findings.into_verdict()
}
