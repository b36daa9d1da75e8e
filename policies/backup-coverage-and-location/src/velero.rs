//! Views of the Velero objects the rule reads, and what "covers a namespace" means.

use policy_helpers::prelude::*;

use policy_helpers::glob::Glob;
use serde::de::IgnoredAny;

policy_helpers::view! {
    /// `metadata` of a listed object.
    #[derive(Debug, Clone, Default)]
    pub struct Meta {
        /// `name`
        pub name: String = "name",
        /// `namespace`
        pub namespace: String = "namespace",
        /// `labels`
        pub labels: Option<alloc::collections::BTreeMap<String, String>> = "labels",
    }
}

policy_helpers::view! {
    /// A Velero `BackupSpec` (a Schedule's `spec.template`), the fields that decide coverage.
    #[derive(Debug, Clone, Default)]
    pub struct BackupSpec {
        /// `includedNamespaces` (empty or `*`: all)
        pub included_namespaces: Option<Vec<String>> = "includedNamespaces",
        /// `excludedNamespaces`
        pub excluded_namespaces: Option<Vec<String>> = "excludedNamespaces",
        /// `includedResources` (empty or `*`: all)
        pub included_resources: Option<Vec<String>> = "includedResources",
        /// `excludedResources`
        pub excluded_resources: Option<Vec<String>> = "excludedResources",
        /// `labelSelector`: backs up only matching objects.
        pub label_selector: Option<IgnoredAny> = "labelSelector",
        /// `orLabelSelectors`: the same.
        pub or_label_selectors: Option<IgnoredAny> = "orLabelSelectors",
        /// `snapshotVolumes` (unset: snapshot)
        pub snapshot_volumes: Option<bool> = "snapshotVolumes",
        /// `defaultVolumesToFsBackup`
        pub default_volumes_to_fs_backup: Option<bool> = "defaultVolumesToFsBackup",
    }
}

policy_helpers::view! {
    /// `spec` of a Schedule.
    #[derive(Debug, Clone, Default)]
    pub struct ScheduleSpec {
        /// `schedule` (cron)
        pub schedule: Option<String> = "schedule",
        /// `paused`
        pub paused: Option<bool> = "paused",
        /// `template`
        pub template: BackupSpec = "template",
    }
}

policy_helpers::view! {
    /// A Velero Schedule.
    #[derive(Debug, Clone, Default)]
    pub struct Schedule {
        /// `metadata`
        pub metadata: Meta = "metadata",
        /// `spec`
        pub spec: ScheduleSpec = "spec",
    }
}

policy_helpers::view! {
    /// A Namespace (only its metadata).
    #[derive(Debug, Clone, Default)]
    pub struct Namespace {
        /// `metadata`
        pub metadata: Meta = "metadata",
    }
}

const VOLUME_RESOURCES: &[&str] = &[
    "persistentvolumeclaims",
    "persistentvolumes",
    "pvc",
    "pv",
    "*",
];

fn matches_any(list: &[String], ns: &str) -> bool {
    list.iter()
        .any(|p| Glob::new(p).is_ok_and(|g| g.matches(ns)))
}

impl BackupSpec {
    /// Why the backups leave volumes out, if they do.
    pub fn volumes_left_out(&self) -> Option<String> {
        if self.snapshot_volumes == Some(false) && self.default_volumes_to_fs_backup != Some(true) {
            return Some(
                "spec.template.snapshotVolumes is false and defaultVolumesToFsBackup is not true"
                    .into(),
            );
        }
        let excluded = self.excluded_resources.as_deref().unwrap_or_default();
        if let Some(r) = excluded.iter().find(|r| {
            let base = r.split('.').next().unwrap_or(r).to_ascii_lowercase();
            VOLUME_RESOURCES.contains(&base.as_str())
        }) {
            return Some(format!("spec.template.excludedResources lists {r:?}"));
        }
        None
    }

    /// Whether the backup takes everything of a namespace (no label selection, all resources).
    pub fn is_whole(&self) -> bool {
        let resources = self.included_resources.as_deref().unwrap_or_default();
        self.label_selector.is_none()
            && self.or_label_selectors.is_none()
            && (resources.is_empty() || resources.iter().any(|r| r == "*"))
    }

    /// Whether the backup includes namespace `ns`.
    pub fn includes_namespace(&self, ns: &str) -> bool {
        let inc = self.included_namespaces.as_deref().unwrap_or_default();
        let exc = self.excluded_namespaces.as_deref().unwrap_or_default();
        (inc.is_empty() || matches_any(inc, ns)) && !matches_any(exc, ns)
    }
}

impl Schedule {
    /// Whether this schedule backs up the whole of namespace `ns`, volumes included (when
    /// `require_volumes`).
    pub fn covers(&self, ns: &str, require_volumes: bool) -> bool {
        let t = &self.spec.template;
        self.spec.paused != Some(true)
            && t.is_whole()
            && t.includes_namespace(ns)
            && (!require_volumes || t.volumes_left_out().is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sched(json: &str) -> Schedule {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn coverage() {
        let all = sched(r#"{"spec":{"schedule":"@daily","template":{}}}"#);
        assert!(all.covers("payments", true));
        let star = sched(
            r#"{"spec":{"template":{"includedNamespaces":["*"],"excludedNamespaces":["kube-*"]}}}"#,
        );
        assert!(star.covers("payments", true));
        assert!(!star.covers("kube-system", true));
        let some = sched(r#"{"spec":{"template":{"includedNamespaces":["payments","team-*"]}}}"#);
        assert!(some.covers("team-a", true) && !some.covers("shop", true));
        let paused = sched(r#"{"spec":{"paused":true,"template":{}}}"#);
        assert!(!paused.covers("payments", true));
        let labels = sched(r#"{"spec":{"template":{"labelSelector":{"matchLabels":{"a":"b"}}}}}"#);
        assert!(!labels.covers("payments", true));
        let partial = sched(r#"{"spec":{"template":{"includedResources":["deployments"]}}}"#);
        assert!(!partial.covers("payments", true));
        let novol = sched(r#"{"spec":{"template":{"snapshotVolumes":false}}}"#);
        assert!(!novol.covers("payments", true));
        assert!(novol.covers("payments", false));
        let fs = sched(
            r#"{"spec":{"template":{"snapshotVolumes":false,"defaultVolumesToFsBackup":true}}}"#,
        );
        assert!(fs.covers("payments", true));
        let nopvc =
            sched(r#"{"spec":{"template":{"excludedResources":["persistentvolumeclaims"]}}}"#);
        assert!(
            nopvc
                .spec
                .template
                .volumes_left_out()
                .unwrap()
                .contains("persistentvolumeclaims")
        );
    }
}
