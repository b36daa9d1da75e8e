//! The rule: every subject of a RoleBinding or ClusterRoleBinding is checked. Users and Groups
//! must be Entra object ids (GUIDs), Kubernetes `system:` identities, or allow-listed; generic
//! shared names are denied first; in groups-only mode individual Users are refused; a
//! RoleBinding's ServiceAccounts live in its own namespace.

use policy_helpers::prelude::*;

use policy_helpers::identity::is_guid;
use policy_helpers::rbac::{BindingReview, Identity};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Rejects bindings with subjects that are not Entra object ids or allowed identities.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let review = match BindingReview::from_request(req) {
        Ok(Some(b)) => b,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let cluster = review.is_cluster_wide();
    let s = &ctx.settings;
    let lists = match s.compile() {
        Ok(c) => c,
        Err(e) => return Verdict::unreadable(format!("has invalid settings: {e}")),
    };
    let namespace = review.namespace.as_str();
    let binding_ns = review.subject_namespace();
    let mut findings = Findings::new();
    for (i, subject) in review.binding.subjects.iter().enumerate() {
        let kind = subject.kind.as_str();
        let name = subject.name.as_str();
        let at = format!("subjects[{i}] ({kind} {name:?})");
        // A ServiceAccount is one identity however it is written (`rbac::Identity`): a User
        // named `system:serviceaccount:<ns>:<name>` gets the ServiceAccount rule only, and the
        // groups `system:serviceaccounts[:<ns>]` are checked as groups *and* as the
        // ServiceAccounts they hold.
        let identity = subject.identity(binding_ns);
        let user_spelt_sa = matches!(identity, Identity::ServiceAccount { as_user: true, .. });
        if matches!(kind, "User" | "Group")
            && !user_spelt_sa
            && let Some(f) = name_finding(kind, name, &at, s, &lists)
        {
            findings.object(f);
            continue;
        }
        if cluster || s.allow_cross_namespace_sa {
            continue;
        }
        let other = match identity {
            Identity::ServiceAccount { namespace: ns, .. } if ns != namespace => {
                format!("binds {at} of namespace {ns:?} in namespace {namespace:?}")
            }
            Identity::NamespaceServiceAccounts(ns) if ns != namespace => format!(
                "binds {at}, every ServiceAccount of namespace {ns:?}, in namespace {namespace:?}"
            ),
            Identity::AllServiceAccounts => format!(
                "binds {at}, every ServiceAccount of every namespace, in namespace {namespace:?}"
            ),
            _ => continue,
        };
        findings.object(format!(
            "{other}; a RoleBinding grants only to ServiceAccounts of its own namespace (allowCrossNamespaceSA)"
        ));
    }
    findings.into_verdict()
}

/// What is wrong with a User or Group name (not a ServiceAccount's user name), if anything.
fn name_finding(
    kind: &str,
    name: &str,
    at: &str,
    s: &Settings,
    lists: &crate::settings::Compiled,
) -> Option<String> {
    let lower = name.to_lowercase();
    if let Some(g) = lists.denied.iter().find(|g| g.matches(&lower)) {
        return Some(format!(
            "binds {at}, a generic shared name (matches deniedSubjects {:?}); bind the Entra object id of a group of named people",
            g.as_str()
        ));
    }
    let allowed = lists.allowed.iter().any(|g| g.matches(name));
    let system = s.allow_system_subjects && name.starts_with("system:");
    if allowed || system {
        return None;
    }
    if s.groups_only && kind == "User" {
        Some(format!(
            "binds {at}, an individual User (groupsOnly); bind an Entra group's object id instead"
        ))
    } else if !is_guid(name) {
        Some(format!(
            "binds {at}, which is not an Entra object id (GUID) nor in allowedSubjects"
        ))
    } else {
        None
    }
}
