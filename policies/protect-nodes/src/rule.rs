//! The rule: only the kubelet and the AKS control plane change the labels and taints that
//! place workloads on nodes; Node deletions by anybody else are recorded.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::glob::Glob;
use policy_helpers::request::ObjectMeta;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Policy, Request, Verdict};

use crate::ProtectNodes;
use crate::settings::{Compiled, NodeDelete, Settings};

/// The operations evaluated.
pub const OPERATIONS: &[Operation] = &[Operation::Create, Operation::Update, Operation::Delete];

policy_helpers::view! {
    /// A taint.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct Taint {
        /// Key.
        pub key: String = "key",
        /// Value.
        pub value: Option<String> = "value",
        /// Effect.
        pub effect: String = "effect",
    }
}

impl Taint {
    fn describe(&self) -> String {
        match self.value.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => format!("{}={v}:{}", self.key, self.effect),
            None => format!("{}:{}", self.key, self.effect),
        }
    }
}

policy_helpers::view! {
    /// The Node spec fields read.
    #[derive(Debug, Clone, Default)]
    pub struct NodeSpec {
        /// Taints.
        pub taints: Option<Vec<Taint>> = "taints",
    }
}

policy_helpers::view! {
    /// A Node, as far as the rule reads it.
    #[derive(Debug, Clone, Default)]
    pub struct Node {
        /// Metadata.
        pub metadata: ObjectMeta = "metadata",
        /// Spec (typed).
        pub spec: NodeSpec = "spec",
    }
}

policy_helpers::view! {
    /// The spec as raw JSON, for `denyAllEdits` (compared as values, so that key order and
    /// spacing are not changes).
    #[derive(Debug, Default)]
    struct RawSpec {
        spec: Option<Box<serde_json::value::RawValue>> = "spec",
    }
}

fn any(globs: &[Glob], s: &str) -> bool {
    globs.iter().any(|g| g.matches(s))
}

/// Whether the requesting identity manages nodes.
fn allowed_identity(req: &Request<'_>, c: &Compiled) -> bool {
    any(&c.allowed_users, &req.user_info.username)
        || req
            .user_info
            .groups
            .iter()
            .any(|g| any(&c.allowed_groups, g))
}

/// The protected label changes between `old` and `new`.
pub fn label_changes(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    protected: &[Glob],
) -> Vec<String> {
    let mut out = Vec::new();
    let keys: alloc::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for k in keys.into_iter().filter(|k| any(protected, k)) {
        match (old.get(k), new.get(k)) {
            (None, Some(v)) => out.push(format!("label {k:?} added ({v:?}) (metadata.labels)")),
            (Some(v), None) => {
                out.push(format!("label {k:?} removed (was {v:?}) (metadata.labels)"))
            }
            (Some(a), Some(b)) if a != b => out.push(format!(
                "label {k:?} changed from {a:?} to {b:?} (metadata.labels)"
            )),
            _ => {}
        }
    }
    out
}

/// The protected taint changes between `old` and `new`.
pub fn taint_changes(old: &[Taint], new: &[Taint], protected: &[Glob]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, t) in new.iter().enumerate() {
        if any(protected, &t.key) && !old.contains(t) {
            out.push(format!("taint {:?} added (spec.taints[{i}])", t.describe()));
        }
    }
    for t in old {
        if any(protected, &t.key) && !new.contains(t) {
            out.push(format!("taint {:?} removed (spec.taints)", t.describe()));
        }
    }
    out
}

/// Denies protected label and taint changes (and, with `denyAllEdits`, any edit) by identities
/// that do not manage nodes; records or denies their Node deletions.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    if !req.resource.group.is_empty() || req.resource.resource != "nodes" {
        return Verdict::accept();
    }
    let s = &ctx.settings;
    let c = match s.compile() {
        Ok(c) => c,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    if allowed_identity(req, &c) {
        return Verdict::accept();
    }
    let who = format!("User {:?}", req.user_info.username);
    let mut f = Findings::new();
    if req.operation == Operation::Delete {
        if req.subresource().is_some() {
            return Verdict::accept();
        }
        let name = req.name.as_deref().unwrap_or("");
        match s.node_delete {
            NodeDelete::Allow => {}
            NodeDelete::Deny => f.object(format!(
                "is being deleted by {who}, which is not in allowedUsers or allowedGroups (nodeDelete: deny); scale or delete the node pool through AKS instead"
            )),
            NodeDelete::Record => {
                f.warn(format!(
                    "Node {name}: deletion by {who}, which is not in allowedUsers or allowedGroups, is recorded; remove nodes through their node pool [{}]",
                    ProtectNodes::CONTROLS
                ));
                f.annotate(
                    "node-delete",
                    format!("node={name} user={}", req.user_info.username),
                );
            }
        }
        return f.into_verdict();
    }
    let new = match req.object_as::<Node>() {
        Ok(Some(n)) => n,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let old = match req.old_object_as::<Node>() {
        Ok(o) => o.unwrap_or_default(),
        Err(e) => return Verdict::unreadable(format!("the old object cannot be read: {e}")),
    };
    let mut changes = label_changes(
        &old.metadata.labels,
        &new.metadata.labels,
        &c.protected_labels,
    );
    changes.extend(taint_changes(
        old.spec.taints.as_deref().unwrap_or_default(),
        new.spec.taints.as_deref().unwrap_or_default(),
        &c.protected_taints,
    ));
    if s.deny_all_edits && req.operation == Operation::Update && req.subresource().is_none() {
        if old.metadata.labels != new.metadata.labels && changes.is_empty() {
            changes.push("changes metadata.labels".into());
        }
        if old.metadata.annotations != new.metadata.annotations {
            changes.push("changes metadata.annotations".into());
        }
        let raw = |o: Result<Option<RawSpec>, _>| {
            o.ok()
                .flatten()
                .and_then(|r| r.spec)
                .and_then(|raw| policy_helpers::json::value(raw.get()).ok())
                .filter(|v| !v.is_null())
        };
        if raw(req.old_object_as::<RawSpec>()) != raw(req.object_as::<RawSpec>()) {
            changes.push("changes spec".into());
        }
    }
    if changes.is_empty() {
        return Verdict::accept();
    }
    let why = if s.deny_all_edits {
        "individual nodes are edited only by the kubelet and the AKS control plane (denyAllEdits)"
    } else {
        "protected labels and taints are changed only by the kubelet and the AKS control plane"
    };
    f.object(format!(
        "{} by {who}, which is not in allowedUsers or allowedGroups: {why}; change node pool labels and taints through AKS instead",
        changes.join("; ")
    ));
    f.into_verdict()
}
