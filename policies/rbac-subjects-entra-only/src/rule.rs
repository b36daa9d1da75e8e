//! The rule: every subject of a RoleBinding or ClusterRoleBinding is checked. Users and Groups
//! must be Entra object ids (GUIDs), Kubernetes `system:` identities, or allow-listed; generic
//! shared names are denied first; in groups-only mode individual Users are refused; a
//! RoleBinding's ServiceAccounts live in its own namespace.

use policy_helpers::identity::is_guid;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};
use serde::Deserialize;

use crate::settings::Settings;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Subject {
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Binding {
    subjects: Option<Vec<Subject>>,
}

/// Rejects bindings with subjects that are not Entra object ids or allowed identities.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let cluster = match (req.kind.group.as_str(), req.kind.kind.as_str()) {
        ("rbac.authorization.k8s.io", "RoleBinding") => false,
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => true,
        _ => return Verdict::accept(),
    };
    let binding = match req.object_as::<Binding>() {
        Ok(Some(b)) => b,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::unreadable(format!("cannot be read: {e}")),
    };
    let meta = match req.metadata() {
        Ok(m) => m,
        Err(e) => return Verdict::unreadable(format!("cannot be read: {e}")),
    };
    let s = &ctx.settings;
    let lists = match s.compile() {
        Ok(c) => c,
        Err(e) => return Verdict::unreadable(format!("has invalid settings: {e}")),
    };
    let namespace = req.effective_namespace(&meta);
    let mut findings = Findings::new();
    for (i, subject) in binding.subjects.iter().flatten().enumerate() {
        let kind = subject.kind.as_deref().unwrap_or("");
        let name = subject.name.as_deref().unwrap_or("");
        let at = format!("subjects[{i}] ({kind} {name:?})");
        match kind {
            "User" | "Group" => {
                let lower = name.to_lowercase();
                if let Some(g) = lists.denied.iter().find(|g| g.matches(&lower)) {
                    findings.object(format!(
                        "binds {at}, a generic shared name (matches deniedSubjects {:?}); bind the Entra object id of a group of named people",
                        g.as_str()
                    ));
                    continue;
                }
                let allowed = lists.allowed.iter().any(|g| g.matches(name));
                let system = s.allow_system_subjects && name.starts_with("system:");
                if allowed || system {
                    continue;
                }
                if s.groups_only && kind == "User" {
                    findings.object(format!(
                        "binds {at}, an individual User (groupsOnly); bind an Entra group's object id instead"
                    ));
                } else if !is_guid(name) {
                    findings.object(format!(
                        "binds {at}, which is not an Entra object id (GUID) nor in allowedSubjects"
                    ));
                }
            }
            "ServiceAccount" if !cluster && !s.allow_cross_namespace_sa => {
                let sa_ns = subject.namespace.as_deref().unwrap_or("");
                if !sa_ns.is_empty() && sa_ns != namespace {
                    findings.object(format!(
                        "binds {at} of namespace {sa_ns:?} in namespace {namespace:?}; a RoleBinding grants only to ServiceAccounts of its own namespace (allowCrossNamespaceSA)"
                    ));
                }
            }
            _ => {}
        }
    }
    findings.into_verdict()
}
