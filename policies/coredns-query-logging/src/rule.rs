//! The rule: the ConfigMap's overrides are read directly; the Deployment is checked against the
//! ConfigMap looked up in the cluster.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::host;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Request, Verdict};

use crate::corefile::{
    Block, ParseError, has_env_placeholder, key_zone, log_rules, logs_every_query, parse,
};
use crate::settings::{DeploymentCheck, Settings};

policy_helpers::view! {
    /// The ConfigMap fields the rule reads.
    #[derive(Default)]
    pub struct ConfigMapView {
        data: Option<BTreeMap<String, String>> = "data",
    }
}

/// What keeps a ConfigMap from keeping DNS query logging on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Required plugins no `*.override` key adds to the default server block `.:53`.
    Missing(Vec<String>),
    /// Anything else, as a sentence naming the key (and server block).
    Other(String),
}

/// Whether the `log` of a block logs every query its zones receive.
fn log_problem(block: &Block, zones: &[Option<String>], keys: &[String]) -> Option<String> {
    let toks = block.tokens_of("log");
    if let Some(t) = toks.iter().find(|t| has_env_placeholder(&t.text)) {
        return Some(format!(
            "`log` in `{}` has the argument `{}`, which CoreDNS takes from its environment: the module cannot tell what it logs",
            keys.get(t.file).map_or("", String::as_str),
            t.text
        ));
    }
    let rules = match log_rules(&toks) {
        Ok(r) => r,
        Err(e) => {
            let key = toks
                .first()
                .and_then(|t| keys.get(t.file))
                .map_or("", String::as_str);
            return Some(format!(
                "`log` in `{key}` would not load: CoreDNS refuses it ({e})"
            ));
        }
    };
    logs_every_query(&rules, zones, keys).err()
}

/// Reads the ConfigMap's `data` the way CoreDNS loads it through AKS's Corefile and returns
/// what keeps it from running every required plugin in every server block, with `log` logging
/// every query (README, "What it checks").
pub fn problems(data: &BTreeMap<String, String>, required: &[String]) -> Vec<Problem> {
    let c = match parse(data) {
        Ok(c) => c,
        Err(ParseError::Refused { key, reason }) => {
            return vec![Problem::Other(format!(
                "`{key}` would not load: CoreDNS refuses it ({reason}), keeps its old configuration and does not start again after a restart"
            ))];
        }
        Err(ParseError::Unknown { key, reason }) => {
            return vec![Problem::Other(format!(
                "`{key}` cannot be judged: {reason}; the module fails closed"
            ))];
        }
    };
    let mut out = Vec::new();
    for b in core::iter::once(&c.default).chain(&c.servers) {
        for (d, _) in &b.directives {
            if has_env_placeholder(&d.text) {
                out.push(Problem::Other(format!(
                    "`{}` has the directive `{}`, whose name CoreDNS takes from its environment: the module cannot tell which plugin it is and fails closed",
                    c.keys.get(d.file).map_or("", String::as_str),
                    d.text
                )));
            }
        }
    }
    let has = |b: &Block, p: &str| b.directives.iter().any(|(d, _)| d.text == p);
    let wants_log = required.iter().any(|p| p == "log");
    let missing: Vec<String> = required
        .iter()
        .filter(|p| !has(&c.default, p))
        .cloned()
        .collect();
    if !missing.is_empty() {
        out.push(Problem::Missing(missing));
    } else if wants_log && let Some(p) = log_problem(&c.default, &[Some(".".to_string())], &c.keys)
    {
        out.push(Problem::Other(format!(
            "the *.override keys do not log every query of the default server block `.:53`: {p}"
        )));
    }
    for s in &c.servers {
        let label = s.keys.join(" ");
        let key = c.keys.get(s.file).map_or("", String::as_str);
        let absent: Vec<&str> = required
            .iter()
            .filter(|p| !has(s, p))
            .map(String::as_str)
            .collect();
        if !absent.is_empty() {
            out.push(Problem::Other(format!(
                "server block `{label}` in `{key}` does not enable {}: queries for its zones do not pass through the default block, so every server block needs its own",
                plugin_list(&absent)
            )));
        } else if wants_log {
            let zones: Vec<Option<String>> = s.keys.iter().map(|k| key_zone(k)).collect();
            if let Some(p) = log_problem(s, &zones, &c.keys) {
                out.push(Problem::Other(format!(
                    "server block `{label}` in `{key}` does not log every query: {p}"
                )));
            }
        }
    }
    out
}

fn plugin_list(p: &[&str]) -> String {
    p.iter()
        .map(|x| format!("`{x}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks the ConfigMap on CREATE/UPDATE/DELETE and the CoreDNS Deployment on CREATE/UPDATE.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let s = &ctx.settings;
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
    if namespace != s.namespace {
        return Verdict::accept();
    }
    let mut f = Findings::new();
    match (req.kind.group.as_str(), req.kind.kind.as_str()) {
        ("", "ConfigMap") if name == s.config_map_name => {
            if req.operation == Operation::Delete {
                f.object(format!(
                    "DELETE is refused: without it CoreDNS stops logging DNS queries (requiredPlugins: {})",
                    plugin_list(&s.required_plugins.iter().map(String::as_str).collect::<Vec<_>>())
                ));
                return f.into_verdict();
            }
            let cm = match req.object_as::<ConfigMapView>() {
                Ok(v) => v.unwrap_or_default(),
                Err(e) => return Verdict::cannot_read(e),
            };
            let data = cm.data.unwrap_or_default();
            for p in problems(&data, &s.required_plugins) {
                match p {
                    Problem::Missing(missing) => {
                        let overrides: Vec<&str> = data
                            .keys()
                            .filter(|k| k.ends_with(".override"))
                            .map(String::as_str)
                            .collect();
                        f.object(format!(
                            "no *.override key enables {} (override keys: {}); add e.g. `log.override: log` to keep DNS query logging on",
                            plugin_list(&missing.iter().map(String::as_str).collect::<Vec<_>>()),
                            if overrides.is_empty() {
                                "none".to_string()
                            } else {
                                overrides.join(", ")
                            }
                        ));
                    }
                    Problem::Other(text) => f.object(text),
                }
            }
        }
        ("apps", "Deployment")
            if name == s.deployment_name
                && req.operation != Operation::Delete
                && s.deployment_check != DeploymentCheck::Off =>
        {
            let found = host::get::<ConfigMapView>(
                "v1",
                "ConfigMap",
                &s.config_map_name,
                Some(&s.namespace),
            );
            let problem = match found {
                Err(e) => {
                    // Fail closed: without the lookup nothing is known.
                    f.object(format!(
                        "cannot verify DNS query logging: looking up ConfigMap {}/{} failed: {e}",
                        s.namespace, s.config_map_name
                    ));
                    return f.into_verdict();
                }
                Ok(None) => Some(format!(
                    "ConfigMap {}/{} does not exist, so CoreDNS does not log DNS queries",
                    s.namespace, s.config_map_name
                )),
                Ok(Some(cm)) => {
                    let data = cm.data.unwrap_or_default();
                    let found = problems(&data, &s.required_plugins);
                    (!found.is_empty()).then(|| {
                        found
                            .into_iter()
                            .map(|p| match p {
                                Problem::Missing(missing) => format!(
                                    "ConfigMap {}/{} enables {} in no *.override key, so CoreDNS does not log DNS queries",
                                    s.namespace,
                                    s.config_map_name,
                                    plugin_list(&missing.iter().map(String::as_str).collect::<Vec<_>>())
                                ),
                                Problem::Other(text) => format!(
                                    "ConfigMap {}/{} does not keep DNS query logging on: {text}",
                                    s.namespace, s.config_map_name
                                ),
                            })
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                }
            };
            if let Some(p) = problem {
                match s.deployment_check {
                    DeploymentCheck::Deny => f.object(format!("{p} (deploymentCheck: deny)")),
                    _ => f.warn(format!("{}: {p}", req.identity(&meta))),
                }
            }
        }
        _ => {}
    }
    f.into_verdict()
}
