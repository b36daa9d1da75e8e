//! Settings: the probes required, kinds left alone, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::pod::{PodKind, ProbeKind};
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `require-probes`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Probes every container needs (default `["readinessProbe", "livenessProbe"]`).
        pub required_probes: Vec<String> = "requiredProbes",
        /// Pod-bearing kinds not checked, e.g. `["Job", "CronJob"]` (default none).
        pub ignored_kinds: Vec<String> = "ignoredKinds",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            required_probes: vec!["readinessProbe".into(), "livenessProbe".into()],
            ignored_kinds: Vec::new(),
            exemptions: Exemptions::default(),
        }
    }
}

/// The probe named by a settings entry.
pub fn probe_kind(name: &str) -> Option<ProbeKind> {
    [
        ProbeKind::Readiness,
        ProbeKind::Liveness,
        ProbeKind::Startup,
    ]
    .into_iter()
    .find(|k| k.field() == name)
}

impl Settings {
    /// The required probes, in the order written.
    pub fn probes(&self) -> Vec<ProbeKind> {
        self.required_probes
            .iter()
            .filter_map(|p| probe_kind(p))
            .collect()
    }
}

const KINDS: &[(&str, &str)] = &[
    ("", "Pod"),
    ("", "PodTemplate"),
    ("", "ReplicationController"),
    ("apps", "Deployment"),
    ("apps", "ReplicaSet"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
];

/// The pod-bearing kind named `kind`, if it is one.
pub fn pod_kind(kind: &str) -> Option<PodKind> {
    KINDS
        .iter()
        .find(|(_, k)| *k == kind)
        .and_then(|(g, k)| PodKind::of(g, k))
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.required_probes.is_empty() {
            return Err(
                "requiredProbes is empty: the policy would check nothing (list readinessProbe, livenessProbe and/or startupProbe)"
                    .into(),
            );
        }
        for (i, p) in self.required_probes.iter().enumerate() {
            if probe_kind(p).is_none() {
                return Err(format!(
                    "requiredProbes[{i}]: {p:?} is not readinessProbe, livenessProbe or startupProbe"
                ));
            }
            if self.required_probes[..i].contains(p) {
                return Err(format!("requiredProbes[{i}]: {p:?} is listed twice"));
            }
        }
        for (i, k) in self.ignored_kinds.iter().enumerate() {
            if pod_kind(k).is_none() {
                return Err(format!(
                    "ignoredKinds[{i}]: {k:?} is not a pod-bearing kind (Pod, PodTemplate, ReplicationController, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob)"
                ));
            }
        }
        Ok(())
    }
}
