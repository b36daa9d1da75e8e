//! The rule: a pure function over the request's identity, kind, name and namespace, and the
//! data of ConfigMaps.

use std::collections::BTreeMap;

use policy_helpers::request::ObjectError;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Request, Verdict};
use serde::Deserialize;

use crate::config;
use crate::settings::{Compiled, Settings};

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfigMapView {
    data: Option<BTreeMap<String, String>>,
}

fn unreadable(e: ObjectError) -> Verdict {
    Verdict::unreadable(format!("cannot be read: {e}"))
}

/// Whether the requesting identity is one of the allowed users or groups.
fn allowed_identity(req: &Request<'_>, c: &Compiled) -> bool {
    let u = &req.user_info.username;
    c.users.iter().any(|g| g.matches(u))
        || req
            .user_info
            .groups
            .iter()
            .any(|grp| c.groups.iter().any(|g| g.matches(grp)))
}

fn requester(req: &Request<'_>) -> String {
    format!("user {:?}", req.user_info.username)
}

fn config_keys(
    req: &Request<'_>,
    s: &Settings,
    namespace: &str,
    name: &str,
    f: &mut Findings,
) -> Result<(), ObjectError> {
    let keys: Vec<(usize, &crate::settings::ProtectedKey)> = s
        .protected_config_keys
        .iter()
        .enumerate()
        .filter(|(_, k)| k.namespace == namespace && k.name == name)
        .collect();
    if keys.is_empty() {
        return Ok(());
    }
    let Some(cm) = req.object_as::<ConfigMapView>()? else {
        return Ok(());
    };
    let data = cm.data.unwrap_or_default();
    for (i, k) in keys {
        let Some(text) = data.get(&k.key) else {
            continue;
        };
        for (line, v) in config::values(text, &k.section, &k.setting) {
            if v != k.value {
                f.object(format!(
                    "data[{}] line {line} sets [{}] {} = {v}, which switches off what it controls; it must stay {} (protectedConfigKeys[{i}])",
                    k.key, k.section, k.setting, k.value
                ));
            }
        }
    }
    Ok(())
}

/// Rejects UPDATE and DELETE of protected objects by identities that are not allowed, DELETE of
/// Events by them, and (for everybody) a ConfigMap that switches a protected setting off.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let s = &ctx.settings;
    let c = match s.compile() {
        Ok(c) => c,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    let meta = match req.metadata() {
        Ok(m) => m,
        Err(e) => return unreadable(e),
    };
    let namespace = req.effective_namespace(&meta);
    let name = if meta.name.is_empty() {
        req.name.as_deref().unwrap_or("")
    } else {
        meta.name.as_str()
    };
    let (group, kind) = (req.kind.group.as_str(), req.kind.kind.as_str());
    let op = req.operation;
    let mut f = Findings::new();

    if op == Operation::Delete
        && kind == "Event"
        && (group.is_empty() || group == "events.k8s.io")
        && s.protect_events
        && !allowed_identity(req, &c)
    {
        f.object(format!(
            "DELETE by {} is refused: Events are the cluster's record of what happened and expire on their own (protectEvents); only allowedUsers and allowedGroups may delete them",
            requester(req)
        ));
        return f.into_verdict();
    }

    // An UPDATE of an object already being deleted only removes finalizers: its deletion was
    // checked when it was requested.
    let deleting = op == Operation::Update && meta.deletion_timestamp.is_some();
    if matches!(op, Operation::Update | Operation::Delete) && !deleting {
        let hit = c.objects.iter().find(|o| {
            o.group == group
                && o.kind == kind
                && o.name.matches(name)
                && match &o.namespace {
                    Some(ns) => !namespace.is_empty() && ns.matches(namespace),
                    None => namespace.is_empty(),
                }
        });
        if let Some(o) = hit
            && !allowed_identity(req, &c)
        {
            let p = &s.protected_objects[o.index];
            let pattern = if p.namespace.is_empty() {
                format!("{} {}", p.kind, p.name)
            } else {
                format!("{} {}/{}", p.kind, p.namespace, p.name)
            };
            f.object(format!(
                "{op} by {} is refused: it is protected security tooling (protectedObjects[{}]: {pattern}); only allowedUsers and allowedGroups may change or delete it",
                requester(req),
                o.index
            ));
        }
    }

    if group.is_empty()
        && kind == "ConfigMap"
        && matches!(op, Operation::Create | Operation::Update)
        && let Err(e) = config_keys(req, s, namespace, name, &mut f)
    {
        return unreadable(e);
    }
    f.into_verdict()
}
