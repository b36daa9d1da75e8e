//! Workload identity: Entra object ids, the Azure Workload Identity annotations and labels,
//! ServiceAccount views and lookups, and ServiceAccount name patterns.
//!
//! Shared by the policies of the identity family (automount, default ServiceAccount, unique
//! workload identity, Key Vault CSI).

use crate::glob::Glob;
use crate::host::{self, HostError};
use crate::pod::NameRef;
use crate::prelude::*;
use crate::request::ObjectMeta;

/// ServiceAccount annotation naming the Entra application (client) id of a workload identity.
pub const CLIENT_ID_ANNOTATION: &str = "azure.workload.identity/client-id";

/// ServiceAccount annotation naming the Entra tenant of a workload identity.
pub const TENANT_ID_ANNOTATION: &str = "azure.workload.identity/tenant-id";

/// Pod label that asks the workload identity webhook to inject the federated token.
pub const USE_LABEL: &str = "azure.workload.identity/use";

/// Pod label of the deprecated AAD pod identity (v1).
pub const POD_IDENTITY_LABEL: &str = "aadpodidbinding";

/// Where the kubelet mounts the ServiceAccount token.
pub const SA_TOKEN_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Whether `s` is a GUID (`8-4-4-4-12` hexadecimal digits), the form of Entra object, client
/// and tenant ids. Either case is accepted.
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

crate::view! {
    /// A ServiceAccount, as the identity rules read it.
    #[derive(Debug, Clone, Default)]
    pub struct ServiceAccount {
        /// `metadata`
        pub metadata: ObjectMeta = "metadata" or_default,
        /// `automountServiceAccountToken`
        pub automount_service_account_token: Option<bool> = "automountServiceAccountToken",
        /// `secrets`
        pub secrets: Vec<NameRef> = "secrets" or_default,
    }
}

impl ServiceAccount {
    /// The workload identity client id annotation, trimmed, when present.
    pub fn client_id(&self) -> Option<&str> {
        self.metadata
            .annotations
            .get(CLIENT_ID_ANNOTATION)
            .map(|s| s.trim())
    }
}

/// Reads ServiceAccount `namespace/name` through the engine: `Ok(None)` when it does not exist.
///
/// # Errors
/// When the lookup fails (not granted, API error, unexpected answer).
pub fn get_service_account(
    namespace: &str,
    name: &str,
) -> Result<Option<ServiceAccount>, HostError> {
    host::get::<ServiceAccount>("v1", "ServiceAccount", name, Some(namespace))
}

/// ServiceAccount patterns from settings: `namespace/name` (each part exact or glob) or a bare
/// `name` (any namespace).
#[derive(Debug, Clone, Default)]
pub struct ServiceAccountPatterns(Vec<(Option<Glob>, Glob)>);

impl ServiceAccountPatterns {
    /// Compiles the list; `key` names the settings key in errors.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn new(key: &str, list: &[String]) -> Result<ServiceAccountPatterns, String> {
        list.iter()
            .enumerate()
            .map(|(i, s)| {
                let g = |p: &str| Glob::new(p).map_err(|e| format!("{key}[{i}]: {e}"));
                match s.split_once('/') {
                    None => Ok((None, g(s)?)),
                    Some((ns, name))
                        if !ns.is_empty() && !name.is_empty() && !name.contains('/') =>
                    {
                        Ok((Some(g(ns)?), g(name)?))
                    }
                    Some(_) => Err(format!(
                        "{key}[{i}]: {s:?} is neither namespace/name nor a name"
                    )),
                }
            })
            .collect::<Result<_, _>>()
            .map(ServiceAccountPatterns)
    }

    /// Whether ServiceAccount `namespace/name` matches an entry.
    pub fn matches(&self, namespace: &str, name: &str) -> bool {
        self.0
            .iter()
            .any(|(ns, n)| ns.as_ref().is_none_or(|g| g.matches(namespace)) && n.matches(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids() {
        assert!(is_guid("72f988bf-86f1-41af-91ab-2d7cd011db47"));
        assert!(is_guid("72F988BF-86F1-41AF-91AB-2D7CD011DB47"));
        assert!(!is_guid("72f988bf86f141af91ab2d7cd011db47"));
        assert!(!is_guid("72f988bf-86f1-41af-91ab-2d7cd011db4"));
        assert!(!is_guid("72f988bf-86f1-41af-91ab-2d7cd011db4g"));
        assert!(!is_guid("admins"));
    }

    #[test]
    fn service_account_patterns() {
        let p = ServiceAccountPatterns::new("allowed", &["kube-system/*".into(), "flux".into()])
            .unwrap();
        assert!(p.matches("kube-system", "coredns"));
        assert!(p.matches("shop", "flux"));
        assert!(!p.matches("shop", "web"));
        assert!(
            ServiceAccountPatterns::new("allowed", &["a/".into()])
                .unwrap_err()
                .contains("allowed[0]")
        );
    }

    #[test]
    fn service_account_view() {
        let sa: ServiceAccount = serde_json::from_str(
            r#"{"metadata":{"name":"web","annotations":{"azure.workload.identity/client-id":" 72f988bf-86f1-41af-91ab-2d7cd011db47 "}},
            "automountServiceAccountToken":false,"secrets":[{"name":"web-token"}]}"#,
        )
        .unwrap();
        assert_eq!(sa.client_id(), Some("72f988bf-86f1-41af-91ab-2d7cd011db47"));
        assert_eq!(sa.automount_service_account_token, Some(false));
        assert_eq!(sa.secrets[0].name, "web-token");
    }
}
