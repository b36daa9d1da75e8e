//! The rule: a pure function over the request's identity, kind, name and namespace, and the
//! data of ConfigMaps.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::request::ObjectError;
use policy_helpers::secrets::decode_base64;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Request, Verdict};

use crate::config;
use crate::settings::{Compiled, Settings};

policy_helpers::view! {
    #[derive(Default)]
    struct ConfigMapView {
        data: Option<BTreeMap<String, String>> = "data",
        binary_data: Option<BTreeMap<String, String>> = "binaryData",
    }
}

fn unreadable(e: ObjectError) -> Verdict {
    Verdict::cannot_read(e)
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
    let binary = cm.binary_data.unwrap_or_default();
    for (i, k) in keys {
        // The agent reads the ConfigMap as mounted files: a `binaryData` key is a file just as
        // a `data` key is (the API server refuses one key in both).
        let (field, text) = if let Some(t) = data.get(&k.key) {
            (format!("data[{}]", k.key), t.clone())
        } else if let Some(b) = binary.get(&k.key) {
            let field = format!("binaryData[{}]", k.key);
            match decode_base64(b).map(String::from_utf8) {
                Some(Ok(t)) => (field, t),
                _ => {
                    f.object(format!(
                        "{field} is not base64 of UTF-8 text, so the agent configuration it holds cannot be checked (protectedConfigKeys[{i}])"
                    ));
                    continue;
                }
            }
        } else {
            continue;
        };
        let found = match config::values(&text, &k.section, &k.setting) {
            Ok(found) => found,
            Err(config::ParseError(e)) => {
                f.object(format!(
                    "{field} is not a valid TOML document ({e}), so whether it keeps [{}] {} = {} cannot be checked (protectedConfigKeys[{i}])",
                    k.section, k.setting, k.value
                ));
                continue;
            }
        };
        for v in found {
            if v.value != k.value {
                f.object(format!(
                    "{field} line {} sets {} = {}, which switches off what it controls; it must stay {} (protectedConfigKeys[{i}]: [{}] {})",
                    v.line, v.path, v.value, k.value, k.section, k.setting
                ));
            }
        }
    }
    Ok(())
}

/// The group and kind of the object a request changes. Through the `scale` subresource the
/// request's kind is `autoscaling/v1 Scale`, but what changes is the replica count of the object
/// the resource names: the API server serves `scale` for Deployments, StatefulSets and
/// ReplicaSets (`apps`) and ReplicationControllers (core). Scaling a protected Deployment to
/// zero there is the same as editing its `spec.replicas`.
fn target<'r>(req: &'r Request<'_>) -> (&'r str, &'r str) {
    if req.sub_resource.as_deref() == Some("scale") {
        let kind = match (req.resource.group.as_str(), req.resource.resource.as_str()) {
            ("apps", "deployments") => Some("Deployment"),
            ("apps", "statefulsets") => Some("StatefulSet"),
            ("apps", "replicasets") => Some("ReplicaSet"),
            ("", "replicationcontrollers") => Some("ReplicationController"),
            _ => None,
        };
        if let Some(k) = kind {
            return (req.resource.group.as_str(), k);
        }
    }
    (req.kind.group.as_str(), req.kind.kind.as_str())
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
    let (group, kind) = target(req);
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
            let through = match req.sub_resource.as_deref() {
                Some(sub) if !sub.is_empty() => {
                    format!(" of {}/{sub}", req.resource.resource)
                }
                _ => String::new(),
            };
            f.object(format!(
                "{op}{through} by {} is refused: it is protected security tooling (protectedObjects[{}]: {pattern}); only allowedUsers and allowedGroups may change or delete it",
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
