//! Settings: the rules (kinds, required labels and annotations with value patterns, denied
//! keys, labels that must match the namespace's) and the common exemptions.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::glob::Glob;
use policy_helpers::labels::{ValuePattern, is_valid_key};
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// One rule.
    #[derive(Debug, Clone, Default)]
    pub struct Rule [deny_unknown_fields] {
        /// Kinds the rule applies to: `Kind` (any group), `group/Kind` (`core/Namespace` for the
        /// core group), or `*` for every kind the policy is routed.
        pub kinds: Vec<String> = "kinds",
        /// Labels that must be present, with a value pattern each (`?*`: any non-empty value).
        pub required_labels: BTreeMap<String, String> = "requiredLabels",
        /// Annotations that must be present, with a value pattern each.
        pub required_annotations: BTreeMap<String, String> = "requiredAnnotations",
        /// Label keys (exact or glob) that must not be present.
        pub denied_labels: Vec<String> = "deniedLabels",
        /// Annotation keys (exact or glob) that must not be present.
        pub denied_annotations: Vec<String> = "deniedAnnotations",
        /// Label keys whose value must equal the object's namespace's, when the namespace sets them.
        pub match_namespace_labels: Vec<String> = "matchNamespaceLabels",
        /// For workloads and PodTemplates, check the pod template's metadata too.
        pub pod_template: bool = "podTemplate",
    }
}

policy_helpers::view! {
    /// Settings of `required-metadata`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// The rules; every rule whose kinds match applies.
        pub rules: Vec<Rule> = "rules",
        /// Common exemptions (for a Namespace object, `namespaces` matches its own name).
        pub exemptions: Exemptions = "exemptions",
    }
}

/// A rule ready to use.
#[derive(Debug)]
pub struct CompiledRule {
    /// `rules[i]`, for messages.
    pub label: String,
    /// Kinds: (group or `None` for any, kind or `*`).
    pub kinds: Vec<(Option<String>, String)>,
    /// Required labels.
    pub required_labels: Vec<(String, ValuePattern)>,
    /// Required annotations.
    pub required_annotations: Vec<(String, ValuePattern)>,
    /// Denied label keys.
    pub denied_labels: Vec<Glob>,
    /// Denied annotation keys.
    pub denied_annotations: Vec<Glob>,
    /// Labels matched against the namespace's.
    pub match_namespace_labels: Vec<String>,
    /// Whether the pod template is checked too.
    pub pod_template: bool,
}

impl CompiledRule {
    /// Whether the rule applies to `group`/`kind`.
    pub fn applies_to(&self, group: &str, kind: &str) -> bool {
        self.kinds
            .iter()
            .any(|(g, k)| k == "*" || (k == kind && g.as_deref().is_none_or(|g| g == group)))
    }
}

fn required(
    key: &str,
    map: &BTreeMap<String, String>,
) -> Result<Vec<(String, ValuePattern)>, String> {
    map.iter()
        .map(|(k, v)| {
            if !is_valid_key(k) {
                return Err(format!("{key}: {k:?} is not a valid key"));
            }
            ValuePattern::new(v)
                .map(|p| (k.clone(), p))
                .map_err(|e| format!("{key}.{k}: {e}"))
        })
        .collect()
}

fn denied(key: &str, list: &[String]) -> Result<Vec<Glob>, String> {
    list.iter()
        .enumerate()
        .map(|(i, k)| {
            let literal = k.replace('*', "x");
            if !is_valid_key(&literal) {
                return Err(format!("{key}[{i}]: {k:?} is not a key or key pattern"));
            }
            Glob::new(k).map_err(|e| format!("{key}[{i}]: {e}"))
        })
        .collect()
}

impl Settings {
    /// Checks and compiles the rules.
    ///
    /// # Errors
    /// A message naming the offending key, e.g. `rules[1].requiredLabels.owner: …`.
    pub fn compile(&self) -> Result<Vec<CompiledRule>, String> {
        self.rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let at = format!("rules[{i}]");
                if r.kinds.is_empty() {
                    return Err(format!(
                        "{at}.kinds is empty: list the kinds the rule applies to (or \"*\")"
                    ));
                }
                let kinds = r
                    .kinds
                    .iter()
                    .enumerate()
                    .map(|(j, k)| {
                        let bad = || {
                            format!("{at}.kinds[{j}]: {k:?} is not Kind, group/Kind, core/Kind or *")
                        };
                        let (group, kind) = match k.rsplit_once('/') {
                            Some(("core", kind)) => (Some(String::new()), kind),
                            Some((g, kind))
                                if !g.is_empty()
                                    && g.bytes().all(|c| {
                                        c.is_ascii_lowercase()
                                            || c.is_ascii_digit()
                                            || b".-".contains(&c)
                                    }) =>
                            {
                                (Some(g.to_string()), kind)
                            }
                            Some(_) => return Err(bad()),
                            None => (None, k.as_str()),
                        };
                        let kind_ok = (kind == "*" && group.is_none())
                            || (kind.starts_with(|c: char| c.is_ascii_uppercase())
                                && kind.chars().all(|c| c.is_ascii_alphanumeric()));
                        if !kind_ok {
                            return Err(bad());
                        }
                        Ok((group, kind.to_string()))
                    })
                    .collect::<Result<_, _>>()?;
                for (j, k) in r.match_namespace_labels.iter().enumerate() {
                    if !is_valid_key(k) {
                        return Err(format!(
                            "{at}.matchNamespaceLabels[{j}]: {k:?} is not a valid label key"
                        ));
                    }
                }
                let rule = CompiledRule {
                    label: at.clone(),
                    kinds,
                    required_labels: required(&format!("{at}.requiredLabels"), &r.required_labels)?,
                    required_annotations: required(
                        &format!("{at}.requiredAnnotations"),
                        &r.required_annotations,
                    )?,
                    denied_labels: denied(&format!("{at}.deniedLabels"), &r.denied_labels)?,
                    denied_annotations: denied(
                        &format!("{at}.deniedAnnotations"),
                        &r.denied_annotations,
                    )?,
                    match_namespace_labels: r.match_namespace_labels.clone(),
                    pod_template: r.pod_template,
                };
                if rule.required_labels.is_empty()
                    && rule.required_annotations.is_empty()
                    && rule.denied_labels.is_empty()
                    && rule.denied_annotations.is_empty()
                    && rule.match_namespace_labels.is_empty()
                {
                    return Err(format!(
                        "{at} requires nothing: set requiredLabels, requiredAnnotations, deniedLabels, deniedAnnotations or matchNamespaceLabels"
                    ));
                }
                Ok(rule)
            })
            .collect()
    }

    /// Whether any rule reads the namespace's labels.
    pub fn needs_namespace(&self) -> bool {
        self.rules
            .iter()
            .any(|r| !r.match_namespace_labels.is_empty())
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.rules.is_empty() {
            return Err("rules is empty: the policy would check nothing".into());
        }
        self.compile().map(|_| ())
    }
}
