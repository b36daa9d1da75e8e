//! Settings: allowed and forbidden sysctls, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::Glob;
use policy_helpers::pss::SAFE_SYSCTLS;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `restrict-sysctls`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Allowed sysctl names or patterns (default: the PSS safe set).
        pub allowed_sysctls: Vec<String> = "allowedSysctls",
        /// Forbidden sysctl names or patterns; they win over `allowedSysctls`.
        pub forbidden_sysctls: Vec<String> = "forbiddenSysctls",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            allowed_sysctls: SAFE_SYSCTLS.iter().map(|s| s.to_string()).collect(),
            forbidden_sysctls: Vec::new(),
            exemptions: Exemptions::default(),
        }
    }
}

/// The name lists compiled for matching.
#[derive(Debug, Default)]
pub struct Compiled {
    /// Allowed patterns.
    pub allowed: Vec<Glob>,
    /// Forbidden patterns.
    pub forbidden: Vec<Glob>,
}

fn patterns(key: &str, list: &[String]) -> Result<Vec<Glob>, String> {
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            let ok = !p.is_empty()
                && p.bytes().all(|b| {
                    b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || matches!(b, b'.' | b'_' | b'-' | b'*' | b'/')
                });
            if !ok {
                return Err(format!(
                    "{key}[{i}]: {p:?} is not a sysctl name or pattern (lower-case letters, digits, `.`, `_`, `-`, `/` and `*`)"
                ));
            }
            Glob::new(&crate::rule::normalise(p)).map_err(|e| format!("{key}[{i}]: {e}"))
        })
        .collect()
}

impl Settings {
    /// Compiles the lists.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn compile(&self) -> Result<Compiled, String> {
        Ok(Compiled {
            allowed: patterns("allowedSysctls", &self.allowed_sysctls)?,
            forbidden: patterns("forbiddenSysctls", &self.forbidden_sysctls)?,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        self.compile().map(|_| ())
    }
}
