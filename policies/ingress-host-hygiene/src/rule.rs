//! The rule: the Ingress view, plus (for uniqueness) the cluster's other Ingresses through the
//! Kubernetes host capability.

use policy_helpers::prelude::*;

use policy_helpers::host;
use policy_helpers::net::{IngressView, in_domain, is_wildcard, normalise_host};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// A rule's host and one of its paths, normalised for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Lower-case host without trailing dot.
    pub host: String,
    /// The path (`/` when absent; one trailing `/` dropped from longer `Prefix` paths).
    pub path: String,
    /// `spec.rules[i].http.paths[j]` (or `spec.rules[i]` without paths).
    pub field: String,
}

/// Every host-and-path an Ingress serves.
pub fn routes(ing: &IngressView) -> Vec<Route> {
    let mut out = Vec::new();
    for (i, rule) in ing.spec.rules.iter().enumerate() {
        let Some(host) = rule.host() else { continue };
        let host = normalise_host(host);
        let paths = rule
            .http
            .as_ref()
            .map(|h| h.paths.as_slice())
            .unwrap_or(&[]);
        if paths.is_empty() {
            out.push(Route {
                host: host.clone(),
                path: "/".into(),
                field: format!("spec.rules[{i}]"),
            });
        }
        for (j, p) in paths.iter().enumerate() {
            let raw = p.path.as_deref().filter(|p| !p.is_empty()).unwrap_or("/");
            let prefix = p.path_type.as_deref() != Some("Exact");
            let path = if prefix && raw.len() > 1 {
                raw.strip_suffix('/').unwrap_or(raw)
            } else {
                raw
            };
            out.push(Route {
                host: host.clone(),
                path: path.to_string(),
                field: format!("spec.rules[{i}].http.paths[{j}]"),
            });
        }
    }
    out
}

/// Rejects catch-all rules and default backends, unapproved wildcards, hosts outside the
/// allowed domains, and (with `requireUnique`) host and path another Ingress of the same
/// class already serves.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let ing = match req.object_as::<IngressView>() {
        Ok(Some(i)) => i,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let s = &ctx.settings;
    let mut findings = Findings::new();
    if ing.spec.default_backend.is_some() {
        findings.object("sets spec.defaultBackend, which serves every host (catch-all)");
    }
    for (i, rule) in ing.spec.rules.iter().enumerate() {
        let Some(host) = rule.host() else {
            findings.object(format!(
                "spec.rules[{i}] has no host, so it serves every host (catch-all)"
            ));
            continue;
        };
        let h = normalise_host(host);
        if is_wildcard(&h) && !s.allow_wildcard.iter().any(|w| normalise_host(w) == h) {
            findings.object(format!(
                "spec.rules[{i}].host {host:?} is a wildcard that is not in allowWildcard"
            ));
        }
        if !s.allowed_domains.is_empty() && !s.allowed_domains.iter().any(|d| in_domain(&h, d)) {
            findings.object(format!(
                "spec.rules[{i}].host {host:?} is outside the allowed domains ({})",
                s.allowed_domains.join(", ")
            ));
        }
    }
    if s.require_unique {
        unique(req, &ing, &mut findings);
    }
    findings.into_verdict()
}

fn unique(req: &Request<'_>, ing: &IngressView, findings: &mut Findings) {
    let mine = routes(ing);
    if mine.is_empty() {
        return;
    }
    let namespace = req.effective_namespace(&ing.metadata).to_string();
    let name = if ing.metadata.name.is_empty() {
        req.name.clone().unwrap_or_default()
    } else {
        ing.metadata.name.clone()
    };
    let class = ing.class().map(|c| c.name.to_string());
    let others = match host::list_all::<IngressView>("networking.k8s.io/v1", "Ingress", None, None)
    {
        Ok(o) => o,
        Err(e) => {
            findings.object(format!(
                "cannot be checked for unique hosts (requireUnique): {e}"
            ));
            return;
        }
    };
    for other in &others {
        if other.metadata.namespace == namespace && other.metadata.name == name {
            continue;
        }
        if other.class().map(|c| c.name.to_string()) != class {
            continue;
        }
        let theirs = routes(other);
        for r in &mine {
            if let Some(t) = theirs.iter().find(|t| t.host == r.host && t.path == r.path) {
                findings.object(format!(
                    "{} host {:?} path {:?} is already served by Ingress {}/{} ({})",
                    r.field, r.host, r.path, other.metadata.namespace, other.metadata.name, t.field
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_normalised() {
        let ing: IngressView = serde_json::from_str(
            r#"{"spec":{"rules":[
              {"host":"Shop.Contoso.com.","http":{"paths":[{"path":"/cart/","pathType":"Prefix"},{"path":"/a/","pathType":"Exact"},{}]}},
              {"host":"api.contoso.com"},
              {"http":{"paths":[{"path":"/"}]}}]}}"#,
        )
        .unwrap();
        let r: Vec<(String, String, String)> = routes(&ing)
            .into_iter()
            .map(|r| (r.host, r.path, r.field))
            .collect();
        assert_eq!(
            r,
            vec![
                (
                    "shop.contoso.com".into(),
                    "/cart".into(),
                    "spec.rules[0].http.paths[0]".into()
                ),
                (
                    "shop.contoso.com".into(),
                    "/a/".into(),
                    "spec.rules[0].http.paths[1]".into()
                ),
                (
                    "shop.contoso.com".into(),
                    "/".into(),
                    "spec.rules[0].http.paths[2]".into()
                ),
                ("api.contoso.com".into(), "/".into(), "spec.rules[1]".into()),
            ]
        );
    }
}
