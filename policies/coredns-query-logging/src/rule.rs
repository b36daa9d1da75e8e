//! The rule: the ConfigMap's overrides are read directly; the Deployment is checked against the
//! ConfigMap looked up in the cluster.

use std::collections::BTreeMap;

use policy_helpers::host;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Request, Verdict};
use serde::Deserialize;

use crate::corefile::directives;
use crate::settings::{DeploymentCheck, Settings};

/// The ConfigMap fields the rule reads.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfigMapView {
    data: Option<BTreeMap<String, String>>,
}

/// The required plugins no `*.override` key of `data` enables.
pub fn missing_plugins<'s>(
    data: &BTreeMap<String, String>,
    required: &'s [String],
) -> Vec<&'s str> {
    required
        .iter()
        .filter(|plugin| {
            !data
                .iter()
                .filter(|(k, _)| k.ends_with(".override"))
                .any(|(_, text)| directives(text).iter().any(|d| d == plugin))
        })
        .map(String::as_str)
        .collect()
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
        Err(e) => return Verdict::unreadable(format!("cannot be read: {e}")),
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
                Err(e) => return Verdict::unreadable(format!("cannot be read: {e}")),
            };
            let data = cm.data.unwrap_or_default();
            let missing = missing_plugins(&data, &s.required_plugins);
            if !missing.is_empty() {
                let overrides: Vec<&str> = data
                    .keys()
                    .filter(|k| k.ends_with(".override"))
                    .map(String::as_str)
                    .collect();
                f.object(format!(
                    "no *.override key enables {} (override keys: {}); add e.g. `log.override: log` to keep DNS query logging on",
                    plugin_list(&missing),
                    if overrides.is_empty() {
                        "none".to_string()
                    } else {
                        overrides.join(", ")
                    }
                ));
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
                    let missing = missing_plugins(&data, &s.required_plugins);
                    (!missing.is_empty()).then(|| {
                        format!(
                            "ConfigMap {}/{} enables {} in no *.override key, so CoreDNS does not log DNS queries",
                            s.namespace,
                            s.config_map_name,
                            plugin_list(&missing)
                        )
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
