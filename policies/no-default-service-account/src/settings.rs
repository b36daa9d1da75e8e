//! Settings: the optional label the ServiceAccount name must match, whether bindings are
//! checked, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `no-default-service-account`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// A pod label key (e.g. `app.kubernetes.io/name`) whose value the ServiceAccount name must
        /// equal.
        pub require_name_matches_label: Option<String> = "requireNameMatchesLabel",
        /// Whether RoleBindings and ClusterRoleBindings naming a `default` ServiceAccount are
        /// rejected.
        pub check_bindings: bool = "checkBindings",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            require_name_matches_label: None,
            check_bindings: true,
            exemptions: Exemptions::default(),
        }
    }
}

/// Whether `k` is a Kubernetes label key: an optional DNS-subdomain prefix and `/`, then a name
/// of at most 63 alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
pub fn is_label_key(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric();
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
    });
    name_ok && prefix_ok
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if let Some(k) = &self.require_name_matches_label
            && !is_label_key(k)
        {
            return Err(format!("requireNameMatchesLabel: {k:?} is not a label key"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::is_label_key;

    #[test]
    fn label_keys() {
        assert!(is_label_key("app"));
        assert!(is_label_key("app.kubernetes.io/name"));
        assert!(!is_label_key(""));
        assert!(!is_label_key("app name"));
        assert!(!is_label_key("/name"));
        assert!(!is_label_key("Example.com/name"));
    }
}
