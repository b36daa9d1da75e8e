//! Kubernetes label selectors (`matchLabels` and `matchExpressions`), for settings such as a
//! protected-namespace selector and for reading `aggregationRule.clusterRoleSelectors`.

use crate::prelude::*;
use alloc::collections::BTreeMap;

crate::view! {
    /// A label selector, with the API server's semantics: every `matchLabels` pair and every
    /// requirement must hold; an empty selector matches everything.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct LabelSelector [deny_unknown_fields] {
        /// Labels that must be present with these values.
        pub match_labels: BTreeMap<String, String> = "matchLabels" or_default,
        /// Set-based requirements.
        pub match_expressions: Vec<Requirement> = "matchExpressions" or_default,
    }
}

crate::view! {
    /// One set-based requirement: `key In (a, b)`, `key NotIn (…)`, `key Exists`,
    /// `key DoesNotExist`.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct Requirement [deny_unknown_fields] {
        /// Label key.
        pub key: String = "key",
        /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
        pub operator: String = "operator",
        /// Values for `In` and `NotIn`.
        pub values: Vec<String> = "values" or_default,
    }
}

impl LabelSelector {
    /// Whether the selector has no terms (and so matches everything).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// Checks the requirements' shape, as the API server validates a selector.
    ///
    /// # Errors
    /// A message naming `key` and the offending requirement.
    pub fn validate(&self, key: &str) -> Result<(), String> {
        if self.match_labels.keys().any(String::is_empty) {
            return Err(format!("{key}.matchLabels has an empty label key"));
        }
        for (i, r) in self.match_expressions.iter().enumerate() {
            let at = format!("{key}.matchExpressions[{i}]");
            if r.key.is_empty() {
                return Err(format!("{at}.key is empty"));
            }
            match r.operator.as_str() {
                "In" | "NotIn" if r.values.is_empty() => {
                    return Err(format!(
                        "{at}: operator {} needs at least one value",
                        r.operator
                    ));
                }
                "Exists" | "DoesNotExist" if !r.values.is_empty() => {
                    return Err(format!("{at}: operator {} takes no values", r.operator));
                }
                "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
                other => {
                    return Err(format!(
                        "{at}.operator {other:?} is not In, NotIn, Exists or DoesNotExist"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether `labels` satisfy the selector.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let value = labels.get(&r.key);
                match r.operator.as_str() {
                    "In" => value.is_some_and(|v| r.values.contains(v)),
                    "NotIn" => value.is_none_or(|v| !r.values.contains(v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false,
                }
            })
    }

    /// The selector in `kubectl` notation: `pci-scope=in-scope, tier in (a,b), !legacy`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for r in &self.match_expressions {
            parts.push(match r.operator.as_str() {
                "In" => format!("{} in ({})", r.key, r.values.join(",")),
                "NotIn" => format!("{} notin ({})", r.key, r.values.join(",")),
                "Exists" => r.key.clone(),
                "DoesNotExist" => format!("!{}", r.key),
                op => format!("{} {op} ({})", r.key, r.values.join(",")),
            });
        }
        if parts.is_empty() {
            "(everything)".to_string()
        } else {
            parts.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(json: &str) -> LabelSelector {
        serde_json::from_str(json).unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn match_labels_and_expressions() {
        let s = sel(r#"{"matchLabels":{"pci-scope":"in-scope"},
                "matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]},
                                    {"key":"legacy","operator":"DoesNotExist"}]}"#);
        assert!(s.validate("s").is_ok());
        assert!(s.matches(&labels(&[("pci-scope", "in-scope"), ("tier", "a")])));
        assert!(!s.matches(&labels(&[("pci-scope", "in-scope"), ("tier", "c")])));
        assert!(!s.matches(&labels(&[
            ("pci-scope", "in-scope"),
            ("tier", "a"),
            ("legacy", "")
        ])));
        assert!(!s.matches(&labels(&[("tier", "a")])));
        assert_eq!(s.describe(), "pci-scope=in-scope, tier in (a,b), !legacy");
        let n = sel(r#"{"matchExpressions":[{"key":"x","operator":"NotIn","values":["1"]}]}"#);
        assert!(n.matches(&labels(&[])));
        assert!(!n.matches(&labels(&[("x", "1")])));
        assert!(LabelSelector::default().matches(&labels(&[])));
        assert_eq!(LabelSelector::default().describe(), "(everything)");
    }

    #[test]
    fn invalid_selectors_name_the_key() {
        let e = sel(r#"{"matchExpressions":[{"key":"x","operator":"Equals","values":["1"]}]}"#)
            .validate("sel")
            .unwrap_err();
        assert!(e.contains("sel.matchExpressions[0].operator"), "{e}");
        let e = sel(r#"{"matchExpressions":[{"key":"x","operator":"In"}]}"#)
            .validate("sel")
            .unwrap_err();
        assert!(e.contains("needs at least one value"), "{e}");
        let e = sel(r#"{"matchExpressions":[{"key":"x","operator":"Exists","values":["1"]}]}"#)
            .validate("sel")
            .unwrap_err();
        assert!(e.contains("takes no values"), "{e}");
        assert!(serde_json::from_str::<LabelSelector>(r#"{"matchLabel":{}}"#).is_err());
    }
}
