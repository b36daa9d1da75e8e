//! The rule: pure functions over the Ingress view and the controller's ConfigMap.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::net::IngressView;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::nginx::{self, ConfigBool, Risk};
use crate::settings::Settings;

/// ConfigMap key: snippet annotations honoured.
pub const ALLOW_SNIPPETS: &str = "allow-snippet-annotations";
/// ConfigMap key: the highest annotation risk level honoured.
pub const RISK_LEVEL: &str = "annotations-risk-level";
/// ConfigMap key: strict validation of `Exact`/`Prefix` paths.
pub const STRICT_PATHS: &str = "strict-validate-path-type";

/// Longest excerpt of a value quoted in a message.
const EXCERPT: usize = 80;

policy_helpers::view! {
    /// The ConfigMap fields the rule reads (the controller reads `data` only).
    #[derive(Default)]
    struct ConfigMapView {
        data: Option<BTreeMap<String, String>> = "data",
    }
}

/// Dispatches on the kind: Ingress or ConfigMap.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    match (req.kind.group.as_str(), req.kind.kind.as_str()) {
        ("networking.k8s.io", "Ingress") => check_ingress(req, ctx),
        ("", "ConfigMap") => check_config_map(req, ctx),
        _ => Verdict::accept(),
    }
}

/// The value, quoted and escaped, cut to [`EXCERPT`] characters.
fn excerpt(v: &str) -> String {
    if v.chars().count() <= EXCERPT {
        format!("{v:?}")
    } else {
        let cut: String = v.chars().take(EXCERPT).collect();
        format!("{cut:?}…")
    }
}

/// The annotation's name after one of the configured prefixes, if it has one.
fn strip_prefix<'k>(key: &'k str, prefixes: &[String]) -> Option<&'k str> {
    let (prefix, name) = key.split_once('/')?;
    prefixes.iter().any(|p| p == prefix).then_some(name)
}

fn check_ingress(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let ing = match req.object_as::<IngressView>() {
        Ok(Some(i)) => i,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let s = &ctx.settings;
    let namespace = req.effective_namespace(&ing.metadata).to_string();
    let mut findings = Findings::new();

    let mut use_regex = false;
    for (key, value) in &ing.metadata.annotations {
        let Some(name) = strip_prefix(key, &s.annotation_prefixes) else {
            continue;
        };
        if nginx::is_snippet(name) {
            if s.snippet_allowed(&namespace, name) {
                findings.warn(format!(
                    "metadata.annotations[{key}] is an ingress-nginx snippet, allowed in namespace {namespace:?} by allowedSnippets: it is copied into the controller's configuration unvalidated"
                ));
            } else {
                let allowed = s
                    .allowed_snippets
                    .get(&namespace)
                    .map(|n| n.join(", "))
                    .unwrap_or_else(|| "none".into());
                findings.object(format!(
                    "metadata.annotations[{key}] is an ingress-nginx snippet: raw nginx configuration, run with the controller's access to every Secret of the cluster (CVE-2021-25742, CVE-2023-5043); allowedSnippets for namespace {namespace:?}: {allowed}"
                ));
            }
            continue;
        }
        if name == "use-regex" && nginx::go_parse_bool(value) == Some(true) {
            use_regex = true;
        }
        if let Some(problem) = nginx::value_problem(name, value) {
            findings.object(format!(
                "metadata.annotations[{key}]={} {problem}",
                excerpt(value)
            ));
        }
    }

    for (i, rule) in ing.spec.rules.iter().enumerate() {
        let Some(http) = &rule.http else { continue };
        for (j, p) in http.paths.iter().enumerate() {
            let Some(path) = p.path.as_deref() else {
                continue;
            };
            let field = format!("spec.rules[{i}].http.paths[{j}]");
            match p.path_type.as_deref() {
                Some(t @ ("Exact" | "Prefix")) => {
                    if let Some(problem) = nginx::strict_path_problem(path) {
                        findings.object(format!(
                            "{field}.path={} (pathType {t}) {problem} (CVE-2022-4886); write regular expressions with pathType ImplementationSpecific",
                            excerpt(path)
                        ));
                    }
                }
                t => {
                    if let Some(problem) = nginx::free_path_problem(path, use_regex) {
                        findings.object(format!(
                            "{field}.path={} (pathType {}) {problem}",
                            excerpt(path),
                            t.unwrap_or("unset")
                        ));
                    }
                }
            }
        }
    }
    findings.into_verdict()
}

fn check_config_map(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let meta = match req.metadata() {
        Ok(m) => m,
        Err(e) => return Verdict::cannot_read(e),
    };
    let namespace = req.effective_namespace(&meta);
    let name = if meta.name.is_empty() {
        req.name.as_deref().unwrap_or("")
    } else {
        meta.name.as_str()
    };
    if !ctx.settings.guards_config_map(namespace, name) {
        return Verdict::accept();
    }
    let cm = match req.object_as::<ConfigMapView>() {
        Ok(v) => v.unwrap_or_default(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let data = cm.data.unwrap_or_default();
    let mut findings = Findings::new();

    if let Some(v) = data.get(ALLOW_SNIPPETS) {
        match nginx::config_bool(v) {
            ConfigBool::True => findings.object(format!(
                "data[{ALLOW_SNIPPETS}]={} is read by the controller as true (Go strconv.ParseBool): every Ingress author could inject raw nginx configuration (CVE-2021-25742); set \"false\"",
                excerpt(v)
            )),
            ConfigBool::Unreadable => findings.object(format!(
                "data[{ALLOW_SNIPPETS}]={} is not a Go boolean: the controller ignores it and keeps its built-in default, which is true before controller v1.9.0; set \"false\"",
                excerpt(v)
            )),
            ConfigBool::False => {}
        }
    }
    if let Some(v) = data.get(RISK_LEVEL)
        && nginx::risk_level(v) == Risk::Critical
    {
        findings.object(format!(
            "data[{RISK_LEVEL}]={} is read by the controller as Critical (case-insensitively): annotations of every risk level are honoured, snippets included; use High or lower",
            excerpt(v)
        ));
    }
    if let Some(v) = data.get(STRICT_PATHS) {
        match nginx::config_bool(v) {
            ConfigBool::False => findings.object(format!(
                "data[{STRICT_PATHS}]={} turns off the controller's strict validation of Exact and Prefix paths (CVE-2022-4886); set \"true\"",
                excerpt(v)
            )),
            ConfigBool::Unreadable => findings.object(format!(
                "data[{STRICT_PATHS}]={} is not a Go boolean: the controller ignores it and keeps its built-in default, which is false on older controllers; set \"true\"",
                excerpt(v)
            )),
            ConfigBool::True => {}
        }
    }
    findings.into_verdict()
}
