//! The `exemptions` settings block that every policy carries.
//!
//! ```yaml
//! exemptions:
//!   namespaces: [kube-system, "team-*"]          # exact or glob
//!   images: ["mcr.microsoft.com/oss/**", "nginx@sha256:…"]   # image patterns
//!   serviceAccounts: ["monitoring/node-exporter"]  # namespace/name of the pod's ServiceAccount
//!   users: ["system:serviceaccount:ci:deployer"]   # requesting user (userInfo.username)
//!   groups: ["aks-breakglass"]                     # any of the requesting user's groups
//! ```
//!
//! Namespaces, users and groups exempt the whole request. Service accounts exempt pod-bearing
//! objects whose pods run as that ServiceAccount. Images exempt single containers: the other
//! containers of the same pod are still checked. Container names are deliberately not an
//! exemption: anybody who can create a pod can choose them.

use crate::glob::Glob;
use crate::image::{ImagePattern, ImageRef};
use crate::prelude::*;
use crate::request::Request;

crate::view! {
    /// The common exemptions block.
    #[derive(Debug, Clone, Default)]
    pub struct Exemptions [deny_unknown_fields] {
        /// Namespaces (exact or glob).
        pub namespaces: Vec<String> = "namespaces",
        /// Image patterns (see [`ImagePattern`]).
        pub images: Vec<String> = "images",
        /// `namespace/name` of ServiceAccounts (each part exact or glob).
        pub service_accounts: Vec<String> = "serviceAccounts",
        /// Requesting user names (exact or glob).
        pub users: Vec<String> = "users",
        /// Requesting user groups (exact or glob).
        pub groups: Vec<String> = "groups",
    }
}

/// Compiled exemptions, ready to match.
#[derive(Debug, Clone, Default)]
pub struct CompiledExemptions {
    namespaces: Vec<Glob>,
    images: Vec<ImagePattern>,
    service_accounts: Vec<(Glob, Glob)>,
    users: Vec<Glob>,
    groups: Vec<Glob>,
}

fn globs(key: &str, items: &[String]) -> Result<Vec<Glob>, String> {
    crate::glob::compile_list(&format!("exemptions.{key}"), items)
}

impl Exemptions {
    /// Checks and compiles the block.
    ///
    /// # Errors
    /// A message naming the offending entry, e.g. `exemptions.images[2]: …`.
    pub fn compile(&self) -> Result<CompiledExemptions, String> {
        let images =
            crate::glob::compile_each("exemptions.images", &self.images, ImagePattern::new)?;
        let service_accounts =
            crate::glob::compile_each("exemptions.serviceAccounts", &self.service_accounts, |s| {
                let (ns, name) = s
                    .split_once('/')
                    .filter(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('/'))
                    .ok_or_else(|| format!("{s:?} is not namespace/name"))?;
                Ok((Glob::new(ns)?, Glob::new(name)?))
            })?;
        Ok(CompiledExemptions {
            namespaces: globs("namespaces", &self.namespaces)?,
            images,
            service_accounts,
            users: globs("users", &self.users)?,
            groups: globs("groups", &self.groups)?,
        })
    }
}

impl CompiledExemptions {
    /// Whether any namespace is exempt (only then does [`CompiledExemptions::exempts_request`]
    /// read the namespace it is given).
    pub fn has_namespaces(&self) -> bool {
        !self.namespaces.is_empty()
    }

    /// Why the whole request is exempt (namespace, user or group), if it is.
    pub fn exempts_request(&self, req: &Request<'_>, namespace: &str) -> Option<String> {
        if !namespace.is_empty()
            && let Some(g) = self.namespaces.iter().find(|g| g.matches(namespace))
        {
            return Some(format!(
                "namespace {namespace:?} is exempt ({})",
                g.as_str()
            ));
        }
        let user = &req.user_info.username;
        if let Some(g) = self.users.iter().find(|g| g.matches(user)) {
            return Some(format!("user {user:?} is exempt ({})", g.as_str()));
        }
        for group in &req.user_info.groups {
            if let Some(g) = self.groups.iter().find(|g| g.matches(group)) {
                return Some(format!("group {group:?} is exempt ({})", g.as_str()));
            }
        }
        None
    }

    /// Whether pods running as ServiceAccount `namespace/name` are exempt.
    pub fn exempts_service_account(&self, namespace: &str, name: &str) -> bool {
        self.service_accounts
            .iter()
            .any(|(ns, n)| ns.matches(namespace) && n.matches(name))
    }

    /// Whether a container with this image is exempt. An image that does not parse is never
    /// exempt.
    pub fn exempts_image(&self, image: &str) -> bool {
        if self.images.is_empty() {
            return false;
        }
        match ImageRef::parse(image) {
            Ok(r) => self.images.iter().any(|p| p.matches(&r)),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(yaml_json: &str) -> Result<CompiledExemptions, String> {
        let e: Exemptions = serde_json::from_str(yaml_json).map_err(|e| e.to_string())?;
        e.compile()
    }

    #[test]
    fn request_level() {
        let c =
            ex(r#"{"namespaces":["kube-system","team-*"],"users":["ci"],"groups":["breakglass"]}"#)
                .unwrap();
        let r: Request = serde_json::from_str(
            r#"{"operation":"CREATE","userInfo":{"username":"bob","groups":["dev","breakglass"]}}"#,
        )
        .unwrap();
        assert!(c.exempts_request(&r, "team-a").unwrap().contains("team-*"));
        assert!(
            c.exempts_request(&r, "shop")
                .unwrap()
                .contains("breakglass")
        );
        let r: Request =
            serde_json::from_str(r#"{"operation":"CREATE","userInfo":{"username":"bob"}}"#)
                .unwrap();
        assert!(c.exempts_request(&r, "shop").is_none());
    }

    #[test]
    fn images_and_service_accounts() {
        let c = ex(r#"{"images":["mcr.microsoft.com/oss/**"],"serviceAccounts":["monitoring/*"]}"#)
            .unwrap();
        assert!(c.exempts_image("mcr.microsoft.com/oss/kube-proxy:v1"));
        assert!(!c.exempts_image("mcr.microsoft.com.evil.io/oss/x"));
        assert!(!c.exempts_image("NOT VALID"));
        assert!(c.exempts_service_account("monitoring", "agent"));
        assert!(!c.exempts_service_account("default", "agent"));
    }

    #[test]
    fn invalid_entries_name_the_key() {
        assert!(
            ex(r#"{"images":["ok","nginx:"]}"#)
                .unwrap_err()
                .contains("exemptions.images[1]")
        );
        assert!(
            ex(r#"{"serviceAccounts":["justname"]}"#)
                .unwrap_err()
                .contains("serviceAccounts[0]")
        );
        assert!(
            ex(r#"{"namespaces":[""]}"#)
                .unwrap_err()
                .contains("namespaces[0]")
        );
        assert!(ex(r#"{"nmespaces":[]}"#).unwrap_err().contains("nmespaces"));
    }
}
