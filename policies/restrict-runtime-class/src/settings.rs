//! Settings: runtime classes per namespace, reserved runtime classes, and the common
//! exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::{Glob, compile_list};
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// One namespace rule.
    #[derive(Debug, Clone, Default)]
    pub struct NamespaceRule [deny_unknown_fields] {
        /// Namespaces the rule applies to (exact or glob).
        pub namespaces: Vec<String> = "namespaces",
        /// Runtime classes pods in these namespaces may use (exact or glob).
        pub allowed_runtime_classes: Vec<String> = "allowedRuntimeClasses",
        /// Whether pods there must name one (an unset `runtimeClassName` runs on the node's
        /// default runtime, which is then refused).
        pub require_runtime_class: bool = "requireRuntimeClass",
    }
}

policy_helpers::view! {
    /// Settings of `restrict-runtime-class`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// Per-namespace rules; the first rule naming the pod's namespace applies.
        pub rules: Vec<NamespaceRule> = "rules",
        /// Runtime classes allowed in namespaces no rule names; absent means any class that is not
        /// reserved.
        pub default_allowed_runtime_classes: Option<Vec<String>> = "defaultAllowedRuntimeClasses",
        /// Runtime classes nobody may use (exact or glob), e.g. a class reserved for system pods.
        pub reserved_runtime_classes: Vec<String> = "reservedRuntimeClasses",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

/// A compiled rule.
#[derive(Debug)]
pub struct CompiledRule {
    /// Namespaces.
    pub namespaces: Vec<Glob>,
    /// Allowed classes.
    pub allowed: Vec<Glob>,
    /// Whether a class is required.
    pub required: bool,
}

/// The settings compiled for matching.
#[derive(Debug, Default)]
pub struct Compiled {
    /// Rules in order.
    pub rules: Vec<CompiledRule>,
    /// Allowed classes where no rule applies (`None`: any not reserved).
    pub default_allowed: Option<Vec<Glob>>,
    /// Reserved classes.
    pub reserved: Vec<Glob>,
}

impl Settings {
    /// Compiles the settings.
    ///
    /// # Errors
    /// A message naming the offending key.
    pub fn compile(&self) -> Result<Compiled, String> {
        let mut rules = Vec::with_capacity(self.rules.len());
        for (i, r) in self.rules.iter().enumerate() {
            if r.namespaces.is_empty() {
                return Err(format!(
                    "rules[{i}].namespaces is empty: name the namespaces the rule applies to"
                ));
            }
            if r.allowed_runtime_classes.is_empty() {
                return Err(format!(
                    "rules[{i}].allowedRuntimeClasses is empty: list the runtime classes allowed there"
                ));
            }
            rules.push(CompiledRule {
                namespaces: compile_list(&format!("rules[{i}].namespaces"), &r.namespaces)?,
                allowed: compile_list(
                    &format!("rules[{i}].allowedRuntimeClasses"),
                    &r.allowed_runtime_classes,
                )?,
                required: r.require_runtime_class,
            });
        }
        let default_allowed = match &self.default_allowed_runtime_classes {
            Some(l) => Some(compile_list("defaultAllowedRuntimeClasses", l)?),
            None => None,
        };
        Ok(Compiled {
            rules,
            default_allowed,
            reserved: compile_list("reservedRuntimeClasses", &self.reserved_runtime_classes)?,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.rules.is_empty()
            && self.default_allowed_runtime_classes.is_none()
            && self.reserved_runtime_classes.is_empty()
        {
            return Err(
                "rules, defaultAllowedRuntimeClasses and reservedRuntimeClasses are all \
                 unset: the policy would allow everything; configure at least one"
                    .into(),
            );
        }
        self.compile().map(|_| ())
    }
}
