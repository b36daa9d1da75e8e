//! Settings: a rule and ranges per identity field, denied Windows user names, the defaulting
//! mode and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::ranges::{Range, check_all};
use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// Highest user or group id Kubernetes accepts.
pub const MAX_ID: i64 = 2_147_483_647;

/// What is required of `runAsUser` / `runAsNonRoot`.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub enum UserRule {
    /// Effective `runAsNonRoot: true` (Pod Security Standards `restricted`), no UID 0, and the
    /// effective `runAsUser`, when set, within `ranges` (if any).
    #[default]
    MustRunAsNonRoot,
    /// Effective `runAsUser` set and within `ranges`.
    MustRunAs,
    /// No requirement.
    RunAsAny,
}

policy_helpers::decode_by_serde!(UserRule);

/// What is required of a group field.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub enum GroupRule {
    /// Set, and within `ranges`.
    MustRunAs,
    /// Within `ranges` when set.
    MayRunAs,
    /// No requirement.
    #[default]
    RunAsAny,
}

policy_helpers::decode_by_serde!(GroupRule);

policy_helpers::view! {
    /// `runAsUser` settings.
    #[derive(Debug, Clone, Default)]
    pub struct UserSettings [deny_unknown_fields] {
        /// The rule (default `MustRunAsNonRoot`).
        pub rule: UserRule = "rule",
        /// Allowed user ids (never 0).
        pub ranges: Vec<Range> = "ranges",
        /// With `MustRunAsNonRoot`: a non-zero effective `runAsUser` also satisfies the rule when
        /// `runAsNonRoot` is not set (the semantics of PodSecurityPolicy and Azure's built-in).
        pub accept_non_zero_user: bool = "acceptNonZeroUser",
    }
}

policy_helpers::view! {
    /// Settings of one group field.
    #[derive(Debug, Clone, Default)]
    pub struct GroupSettings [deny_unknown_fields] {
        /// The rule (default `RunAsAny`).
        pub rule: GroupRule = "rule",
        /// Allowed group ids.
        pub ranges: Vec<Range> = "ranges",
    }
}

policy_helpers::view! {
    /// Settings of `run-as-non-root`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// `runAsUser` / `runAsNonRoot`.
        pub run_as_user: UserSettings = "runAsUser",
        /// `runAsGroup` (pod and container).
        pub run_as_group: GroupSettings = "runAsGroup",
        /// `supplementalGroups` (pod).
        pub supplemental_groups: GroupSettings = "supplementalGroups",
        /// `fsGroup` (pod).
        pub fs_group: GroupSettings = "fsGroup",
        /// Windows `runAsUserName` values refused (case-insensitive); default
        /// `["ContainerAdministrator"]`.
        pub windows_denied_user_names: Option<Vec<String>> = "windowsDeniedUserNames",
        /// Defaulting mode: set `runAsNonRoot: true` on containers where it is unset (rule
        /// `MustRunAsNonRoot`) and return the mutated object instead of rejecting.
        pub mutate: bool = "mutate",
        /// Common exemptions (namespaces, images, service accounts, users, groups).
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Settings {
    /// The denied Windows user names in force.
    pub fn windows_denied(&self) -> Vec<String> {
        self.windows_denied_user_names
            .clone()
            .unwrap_or_else(|| vec!["ContainerAdministrator".to_owned()])
    }
}

fn check_group(key: &str, g: &GroupSettings) -> Result<(), String> {
    match g.rule {
        GroupRule::RunAsAny if !g.ranges.is_empty() => Err(format!(
            "{key}.ranges: ranges are only used with rule MustRunAs or MayRunAs (rule is RunAsAny)"
        )),
        GroupRule::MustRunAs | GroupRule::MayRunAs if g.ranges.is_empty() => Err(format!(
            "{key}.ranges: rule {:?} needs at least one range",
            g.rule
        )),
        _ => check_all(&format!("{key}.ranges"), &g.ranges, 0, MAX_ID),
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        let u = &self.run_as_user;
        match u.rule {
            UserRule::MustRunAs if u.ranges.is_empty() => {
                return Err("runAsUser.ranges: rule MustRunAs needs at least one range".into());
            }
            UserRule::RunAsAny if !u.ranges.is_empty() => {
                return Err("runAsUser.ranges: ranges are not used with rule RunAsAny".into());
            }
            _ => {}
        }
        if u.accept_non_zero_user && u.rule != UserRule::MustRunAsNonRoot {
            return Err(
                "runAsUser.acceptNonZeroUser: only meaningful with rule MustRunAsNonRoot".into(),
            );
        }
        // UID 0 is root: a range holding it would defeat the policy.
        check_all("runAsUser.ranges", &u.ranges, 1, MAX_ID)?;
        check_group("runAsGroup", &self.run_as_group)?;
        check_group("supplementalGroups", &self.supplemental_groups)?;
        check_group("fsGroup", &self.fs_group)?;
        if let Some(names) = &self.windows_denied_user_names
            && let Some(i) = names.iter().position(|n| n.trim().is_empty())
        {
            return Err(format!("windowsDeniedUserNames[{i}]: empty name"));
        }
        if self.mutate && u.rule != UserRule::MustRunAsNonRoot {
            return Err(
                "mutate: the defaulting mode sets runAsNonRoot and needs runAsUser.rule MustRunAsNonRoot"
                    .into(),
            );
        }
        Ok(())
    }
}
