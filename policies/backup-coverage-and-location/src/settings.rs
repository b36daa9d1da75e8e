//! Settings: which namespaces must be backed up, where backups may go, and the common
//! exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::{Glob, compile_list};
use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

use crate::selector::Selector;

/// What a Namespace entering the scope without a covering Schedule gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NamespaceCheck {
    /// Rejected.
    #[default]
    Deny,
    /// Accepted with a warning.
    Warn,
    /// Not looked at.
    Off,
}

policy_helpers::decode_by_serde!(NamespaceCheck);

policy_helpers::view! {
    /// Settings of `backup-coverage-and-location`.
    #[derive(Debug, Clone)]
    pub struct Settings [deny_unknown_fields] {
        /// Label selector of the namespaces every backup must cover (string form, e.g.
        /// `pci-scope=in-scope`); empty: coverage is not checked.
        pub required_namespaces_selector: String = "requiredNamespacesSelector",
        /// Velero providers a BackupStorageLocation may use.
        pub allowed_providers: Vec<String> = "allowedProviders",
        /// Buckets (Azure: blob containers) a BackupStorageLocation may use (exact or glob);
        /// empty: any.
        pub allowed_buckets: Vec<String> = "allowedBuckets",
        /// Schedules must back up volumes (snapshots or file-system backup).
        pub require_volumes: bool = "requireVolumes",
        /// What happens to an in-scope Namespace no Schedule covers.
        pub namespace_check: NamespaceCheck = "namespaceCheck",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            required_namespaces_selector: "pci-scope=in-scope".into(),
            allowed_providers: vec!["azure".into(), "velero.io/azure".into()],
            allowed_buckets: Vec::new(),
            require_volumes: true,
            namespace_check: NamespaceCheck::Deny,
            exemptions: Exemptions::default(),
        }
    }
}

/// The settings, compiled.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The in-scope selector (`None`: coverage not checked).
    pub scope: Option<Selector>,
    /// Allowed buckets.
    pub buckets: Vec<Glob>,
}

impl Settings {
    /// Compiles the selector and patterns.
    ///
    /// # Errors
    /// A message naming the offending key.
    pub fn compile(&self) -> Result<Compiled, String> {
        let sel = Selector::parse(&self.required_namespaces_selector)
            .map_err(|e| format!("requiredNamespacesSelector: {e}"))?;
        let buckets = compile_list("allowedBuckets", &self.allowed_buckets)?;
        Ok(Compiled {
            scope: (!sel.is_empty()).then_some(sel),
            buckets,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.allowed_providers.is_empty() {
            return Err("allowedProviders is empty: no BackupStorageLocation could be created; list the providers to allow (e.g. azure)".into());
        }
        if let Some(i) = self.allowed_providers.iter().position(String::is_empty) {
            return Err(format!("allowedProviders[{i}] is empty"));
        }
        self.compile().map(|_| ())
    }
}
