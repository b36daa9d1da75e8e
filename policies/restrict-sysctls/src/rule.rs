//! The rule: a pure function over the pod view.

use policy_helpers::prelude::*;

use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// A sysctl name in its dotted form: names may also be written with `/` as the separator
/// (`net/ipv4/ip_local_port_range`), in which case `/` and `.` swap roles, as the kubelet reads
/// them. Matching on the dotted form means a forbidden name cannot be slipped past in the
/// other spelling.
pub fn normalise(name: &str) -> String {
    let first_sep = name.find(['.', '/']);
    if first_sep.is_some_and(|i| name.as_bytes()[i] == b'/') {
        name.chars()
            .map(|c| match c {
                '/' => '.',
                '.' => '/',
                c => c,
            })
            .collect()
    } else {
        name.to_string()
    }
}

/// Checks every `spec.securityContext.sysctls[]` entry: the value must not carry a `+` or `=`
/// (the CVE-2022-0811 injection that smuggled a second sysctl through CRI-O), the name must not
/// be forbidden and must be allowed (default: the PSS safe set).
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    // Sysctls are pod-level: nothing the ephemeral-containers subresource can change.
    if pod.ephemeral_only {
        return Verdict::accept();
    }
    let lists = ctx.settings.compile().unwrap_or_default();
    let mut findings = Findings::new();
    let sysctls = pod
        .spec
        .security_context
        .as_ref()
        .map(|s| s.sysctls.as_slice())
        .unwrap_or_default();
    for (i, s) in sysctls.iter().enumerate() {
        let path = format!("{}.securityContext.sysctls[{i}]", pod.spec_path());
        if s.value.contains(['+', '=']) {
            findings.object(format!(
                "sets {path}.value={:?}: a sysctl value must not contain `+` or `=` (CVE-2022-0811 injection)",
                s.value
            ));
        }
        let name = normalise(&s.name);
        if name.is_empty() {
            findings.object(format!("sets {path}.name to an empty name"));
        } else if let Some(g) = lists.forbidden.iter().find(|g| g.matches(&name)) {
            findings.object(format!(
                "sets sysctl {:?} ({path}.name), which is forbidden ({})",
                s.name,
                g.as_str()
            ));
        } else if !lists.allowed.iter().any(|g| g.matches(&name)) {
            findings.object(format!(
                "sets sysctl {:?} ({path}.name), which is not in the allowed set",
                s.name
            ));
        }
    }
    findings.into_verdict()
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn slash_spelling_is_normalised() {
        assert_eq!(
            normalise("net/ipv4/ip_local_port_range"),
            "net.ipv4.ip_local_port_range"
        );
        assert_eq!(
            normalise("net/ipv4/conf/eth0.100/forwarding"),
            "net.ipv4.conf.eth0/100.forwarding"
        );
        assert_eq!(
            normalise("kernel.shm_rmid_forced"),
            "kernel.shm_rmid_forced"
        );
        assert_eq!(
            normalise("net.ipv4.conf.eth0/100.forwarding"),
            "net.ipv4.conf.eth0/100.forwarding"
        );
    }
}
