//! The rule: the pod's placement (node selector, node affinity, tolerations, node name) against
//! its namespace's scope.

use policy_helpers::prelude::*;

use policy_helpers::labels::namespace_labels;
use policy_helpers::pod::{PodKind, PodObject, Toleration, decode_part};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Request, Verdict};

use crate::settings::Settings;

policy_helpers::view! {
    /// `nodeSelectorTerms[].matchExpressions[]` (and preferences').
    #[derive(Debug, Clone, Default)]
    pub struct Requirement {
        /// `key`
        pub key: String = "key",
        /// `operator`: In, NotIn, Exists, DoesNotExist, Gt, Lt
        pub operator: String = "operator",
        /// `values`
        pub values: Vec<String> = "values",
    }
}

policy_helpers::view! {
    /// A node selector term.
    #[derive(Debug, Clone, Default)]
    pub struct Term {
        /// `matchExpressions`
        pub match_expressions: Vec<Requirement> = "matchExpressions",
    }
}

policy_helpers::view! {
    /// `requiredDuringSchedulingIgnoredDuringExecution`
    #[derive(Debug, Clone, Default)]
    pub struct NodeSelector {
        /// `nodeSelectorTerms` (ORed)
        pub node_selector_terms: Vec<Term> = "nodeSelectorTerms",
    }
}

policy_helpers::view! {
    /// `preferredDuringSchedulingIgnoredDuringExecution[]`
    #[derive(Debug, Clone, Default)]
    pub struct Preferred {
        /// `preference`
        pub preference: Term = "preference",
    }
}

policy_helpers::view! {
    /// `affinity.nodeAffinity`
    #[derive(Debug, Clone, Default)]
    pub struct NodeAffinity {
        /// The hard requirement.
        pub required_during_scheduling_ignored_during_execution: Option<NodeSelector> = "requiredDuringSchedulingIgnoredDuringExecution",
        /// The preferences.
        pub preferred_during_scheduling_ignored_during_execution: Vec<Preferred> = "preferredDuringSchedulingIgnoredDuringExecution",
    }
}

policy_helpers::view! {
    /// `affinity` (only the node part is read).
    #[derive(Debug, Clone, Default)]
    pub struct Affinity {
        /// `nodeAffinity`
        pub node_affinity: Option<NodeAffinity> = "nodeAffinity",
    }
}

/// Whether a term pins the pool label to in-scope pools only.
fn term_pins(t: &Term, s: &Settings) -> bool {
    t.match_expressions.iter().any(|r| {
        r.key == s.node_pool_label_key
            && r.operator == "In"
            && !r.values.is_empty()
            && r.values.iter().all(|v| s.in_scope_node_pools.contains(v))
    })
}

/// Whether a term can select an in-scope pool.
fn term_selects_in_scope(t: &Term, s: &Settings) -> bool {
    t.match_expressions.iter().any(|r| {
        r.key == s.node_pool_label_key
            && r.operator == "In"
            && r.values.iter().any(|v| s.in_scope_node_pools.contains(v))
    })
}

/// Whether a toleration tolerates the in-scope pools' taint (any effect).
pub fn tolerates(t: &Toleration, key: &str, value: Option<&str>) -> bool {
    let op = t.operator.as_deref().unwrap_or("Equal");
    match t.key.as_deref().filter(|k| !k.is_empty()) {
        // An empty key with Exists tolerates every taint.
        None => op == "Exists",
        Some(k) if k != key => false,
        Some(_) => op == "Exists" || value.is_none_or(|v| t.value.as_deref().unwrap_or("") == v),
    }
}

/// Checks the placement of a pod-bearing object against its namespace's scope.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    // Placement cannot change through the ephemeral-containers subresource.
    if req.is_ephemeral_containers_update() {
        return Verdict::accept();
    }
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let s = &ctx.settings;
    let spec_path = pod.spec_path();
    let namespace = req.effective_namespace(&pod.metadata).to_string();
    let mut findings = Findings::new();
    let affinity =
        match decode_part::<Affinity>(pod.spec.affinity, &format!("{spec_path}.affinity")) {
            Ok(a) => a.unwrap_or_default(),
            Err(e) => return Verdict::cannot_read(e),
        };
    let tolerations = match pod.spec.tolerations(spec_path) {
        Ok(t) => t,
        Err(e) => return Verdict::cannot_read(e),
    };
    let node_selector = match pod.spec.node_selector(spec_path) {
        Ok(n) => n,
        Err(e) => return Verdict::cannot_read(e),
    };
    let in_scope = match namespace_labels(&namespace) {
        Ok(Some(l)) => l.get(&s.scope_label_key) == Some(&s.in_scope_value),
        Ok(None) => {
            findings.object(format!(
                "cannot be placed: Namespace {namespace:?} was not found (kubernetes/get_resource v1/Namespace)"
            ));
            return findings.into_verdict();
        }
        Err(e) => {
            findings.object(format!(
                "cannot be placed: the lookup of Namespace {namespace:?} failed: {e}"
            ));
            return findings.into_verdict();
        }
    };
    let node_affinity = affinity.node_affinity.unwrap_or_default();
    let required_terms = node_affinity
        .required_during_scheduling_ignored_during_execution
        .map(|r| r.node_selector_terms)
        .unwrap_or_default();
    let pool_key = &s.node_pool_label_key;
    let pools = s.in_scope_node_pools.join(", ");
    let selected = node_selector.get(pool_key);
    let taint = s.taint_key.as_deref();
    let tolerating = taint.and_then(|k| {
        tolerations
            .iter()
            .position(|t| tolerates(t, k, s.taint_value.as_deref()))
    });

    if in_scope {
        let by_selector = selected.is_some_and(|v| s.in_scope_node_pools.contains(v));
        let by_affinity =
            !required_terms.is_empty() && required_terms.iter().all(|t| term_pins(t, s));
        if let Some(v) = selected
            && !by_selector
        {
            findings.object(format!(
                "runs in in-scope namespace {namespace:?} but selects node pool {v:?} ({spec_path}.nodeSelector.{pool_key}), which is not an in-scope pool [{pools}]"
            ));
        } else if !by_selector && !by_affinity {
            findings.object(format!(
                "runs in in-scope namespace {namespace:?} but is not pinned to the in-scope node pools [{pools}]: set {spec_path}.nodeSelector.{pool_key}, or a required node affinity on {pool_key} In [{pools}] in every term"
            ));
        }
        if let Some(k) = taint
            && tolerating.is_none()
        {
            findings.object(format!(
                "runs in in-scope namespace {namespace:?} but {spec_path}.tolerations does not tolerate the in-scope pools' taint {k:?}"
            ));
        }
    } else {
        if let Some(v) = selected
            && s.in_scope_node_pools.contains(v)
        {
            findings.object(format!(
                "is not in an in-scope namespace but selects in-scope node pool {v:?} ({spec_path}.nodeSelector.{pool_key})"
            ));
        }
        if let Some(i) = required_terms
            .iter()
            .position(|t| term_selects_in_scope(t, s))
        {
            findings.object(format!(
                "is not in an in-scope namespace but its required node affinity can select an in-scope node pool ({spec_path}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[{i}])"
            ));
        }
        if let Some(i) = node_affinity
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .position(|p| term_selects_in_scope(&p.preference, s))
        {
            findings.object(format!(
                "is not in an in-scope namespace but prefers an in-scope node pool ({spec_path}.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[{i}])"
            ));
        }
        if let (Some(k), Some(i)) = (taint, tolerating) {
            findings.object(format!(
                "is not in an in-scope namespace but tolerates the in-scope pools' taint {k:?} ({spec_path}.tolerations[{i}])"
            ));
        }
    }
    if s.deny_node_name
        && let Some(node) = pod.spec.node_name.as_deref().filter(|n| !n.is_empty())
    {
        // The scheduler binds Pods by setting nodeName; an update of a scheduled Pod keeps it.
        let unchanged = req.operation == Operation::Update
            && pod.kind == PodKind::Pod
            && old_node_name(req).as_deref() == Some(node);
        if !unchanged {
            findings.object(format!(
                "sets {spec_path}.nodeName={node:?}, which bypasses the scheduler and the node-pool placement (denyNodeName)"
            ));
        }
    }
    findings.into_verdict()
}

policy_helpers::view! {
    #[derive(Default)]
    struct OldSpec {
        node_name: Option<String> = "nodeName",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct OldPod {
        spec: OldSpec = "spec",
    }
}

fn old_node_name(req: &Request<'_>) -> Option<String> {
    req.old_object_as::<OldPod>()
        .ok()
        .flatten()
        .and_then(|p| p.spec.node_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(key: Option<&str>, op: Option<&str>, value: Option<&str>) -> Toleration {
        Toleration {
            key: key.map(str::to_string),
            operator: op.map(str::to_string),
            value: value.map(str::to_string),
            effect: None,
        }
    }

    #[test]
    fn toleration_matching() {
        assert!(tolerates(
            &t(Some("pci"), Some("Exists"), None),
            "pci",
            Some("true")
        ));
        assert!(tolerates(
            &t(Some("pci"), None, Some("true")),
            "pci",
            Some("true")
        ));
        assert!(!tolerates(
            &t(Some("pci"), None, Some("false")),
            "pci",
            Some("true")
        ));
        assert!(tolerates(&t(None, Some("Exists"), None), "pci", None));
        assert!(!tolerates(&t(None, None, None), "pci", None));
        assert!(!tolerates(
            &t(Some("other"), Some("Exists"), None),
            "pci",
            None
        ));
    }
}
