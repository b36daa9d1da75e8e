//! Settings: how scope is read from the namespace, which node pools are in scope, their taint,
//! and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::labels::{is_valid_key, is_valid_label_value};
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `pci-scope-node-isolation`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Namespace label that says whether it is in scope (default `pci-scope`).
        pub scope_label_key: String = "scopeLabelKey",
        /// Its value for in-scope namespaces (default `in-scope`).
        pub in_scope_value: String = "inScopeValue",
        /// Node label naming the node pool (default `agentpool`, which AKS sets on every node).
        pub node_pool_label_key: String = "nodePoolLabelKey",
        /// The in-scope node pools (values of `nodePoolLabelKey`); at least one.
        pub in_scope_node_pools: Vec<String> = "inScopeNodePools",
        /// Key of the taint the in-scope pools carry, if any: in-scope workloads must tolerate it,
        /// the others must not.
        pub taint_key: Option<String> = "taintKey",
        /// Value of that taint (any value when absent).
        pub taint_value: Option<String> = "taintValue",
        /// Refuse `spec.nodeName` set at creation (default true): it bypasses the scheduler.
        pub deny_node_name: bool = "denyNodeName",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            scope_label_key: "pci-scope".into(),
            in_scope_value: "in-scope".into(),
            node_pool_label_key: "agentpool".into(),
            in_scope_node_pools: Vec::new(),
            taint_key: None,
            taint_value: None,
            deny_node_name: true,
            exemptions: Exemptions::default(),
        }
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        for (key, v) in [
            ("scopeLabelKey", &self.scope_label_key),
            ("nodePoolLabelKey", &self.node_pool_label_key),
        ] {
            if !is_valid_key(v) {
                return Err(format!("{key}: {v:?} is not a valid label key"));
            }
        }
        if self.in_scope_value.is_empty() || !is_valid_label_value(&self.in_scope_value) {
            return Err(format!(
                "inScopeValue: {:?} is not a valid label value",
                self.in_scope_value
            ));
        }
        if self.in_scope_node_pools.is_empty() {
            return Err(
                "inScopeNodePools is empty: list the node pools (values of nodePoolLabelKey) that host in-scope workloads"
                    .into(),
            );
        }
        for (i, p) in self.in_scope_node_pools.iter().enumerate() {
            if p.is_empty() || !is_valid_label_value(p) {
                return Err(format!(
                    "inScopeNodePools[{i}]: {p:?} is not a valid label value"
                ));
            }
        }
        if let Some(k) = &self.taint_key
            && !is_valid_key(k)
        {
            return Err(format!("taintKey: {k:?} is not a valid taint key"));
        }
        if self.taint_value.is_some() && self.taint_key.is_none() {
            return Err("taintValue is set without taintKey".into());
        }
        if let Some(v) = &self.taint_value
            && !is_valid_label_value(v)
        {
            return Err(format!("taintValue: {v:?} is not a valid taint value"));
        }
        Ok(())
    }
}
