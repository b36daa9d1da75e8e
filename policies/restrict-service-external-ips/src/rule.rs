//! The rule: a pure function over the Service view.

use policy_helpers::prelude::*;

use policy_helpers::net::{IpNet, ServiceView};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Rejects every `spec.externalIPs` entry that is not inside an allowed address or CIDR.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let svc = match req.object_as::<ServiceView>() {
        Ok(Some(s)) => s,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let allowed = &ctx.settings.allowed_external_ips;
    let mut findings = Findings::new();
    for (i, ip) in svc.spec.external_ips.iter().enumerate() {
        let field = format!("spec.externalIPs[{i}]");
        // Read as the API server validates it and kube-proxy applies it (`ParseIPSloppy`: a
        // zero-led octet is decimal, so `010.0.0.1` is 10.0.0.1).
        match IpNet::parse_sloppy(ip) {
            Err(e) => findings.object(format!("{field}: {e}")),
            Ok(net) if allowed.iter().any(|a| a.contains(&net)) => {}
            Ok(_) => {
                let list = if allowed.is_empty() {
                    "none are allowed".to_string()
                } else {
                    let l: Vec<String> = allowed.iter().map(ToString::to_string).collect();
                    format!("allowed: {}", l.join(", "))
                };
                findings.object(format!(
                    "{field}={ip:?} is not an allowed external IP ({list}); external IPs let a Service \
                     intercept traffic to any address (CVE-2020-8554)"
                ));
            }
        }
    }
    findings.into_verdict()
}
