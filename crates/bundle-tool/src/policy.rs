//! The policies of the workspace as distribution sees them: id, version (from the crate's
//! `Cargo.toml`, the one source of a policy's version) and the parts of `metadata.yml` that go
//! into manifests and OCI annotations.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::Value;

/// Annotation naming the mode a module is installed in when a profile does not say.
pub const DEFAULT_MODE_ANNOTATION: &str = "io.aks-baseline-policies/default-mode";
/// Annotation asking for the system namespaces to stay in scope (modules that guard objects in
/// `kube-system` itself, such as CoreDNS or security tooling).
pub const SYSTEM_NAMESPACES_ANNOTATION: &str = "io.aks-baseline-policies/system-namespaces";
/// Annotation with the control ids.
pub const CONTROLS_ANNOTATION: &str = "io.aks-baseline-policies/controls";

/// One policy of the bundle.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The folder name under `policies/`, the module's name.
    pub id: String,
    /// `[package] version` of its `Cargo.toml`.
    pub version: String,
    /// `metadata.yml`, as read.
    pub metadata: Metadata,
    /// The policy's folder.
    pub dir: PathBuf,
}

/// The fields of `metadata.yml` distribution reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// `rules` (RuleWithOperations), kept as written.
    pub rules: Vec<Value>,
    /// `mutating`
    #[serde(default)]
    pub mutating: bool,
    /// `backgroundAudit`
    #[serde(default = "yes")]
    pub background_audit: bool,
    /// `contextAwareResources`
    #[serde(default)]
    pub context_aware_resources: Vec<ContextAwareResource>,
    /// `annotations`
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}

/// `contextAwareResources[]`
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub struct ContextAwareResource {
    /// `apiVersion`
    pub api_version: String,
    /// `kind`
    pub kind: String,
}

impl Policy {
    /// The tag its OCI artifact is pushed with: `v<version>`, as the Kubewarden catalogue does.
    pub fn tag(&self) -> String {
        format!("v{}", self.version)
    }

    /// The mode a profile entry without `mode` gets.
    pub fn default_mode(&self) -> &str {
        match self
            .metadata
            .annotations
            .get(DEFAULT_MODE_ANNOTATION)
            .map(String::as_str)
        {
            Some("monitor") => "monitor",
            _ => "protect",
        }
    }

    /// Whether the module must see the system namespaces.
    pub fn includes_system_namespaces(&self) -> bool {
        self.metadata
            .annotations
            .get(SYSTEM_NAMESPACES_ANNOTATION)
            .is_some_and(|v| includes_system_namespaces(v))
    }
}

/// Whether a [`SYSTEM_NAMESPACES_ANNOTATION`] value asks for the system namespaces (`include`,
/// blanks around it ignored): read the same way by `bundle render` and by `host-test scan`.
pub fn includes_system_namespaces(value: &str) -> bool {
    value.trim() == "include"
}

/// Every policy under `<root>/policies`, sorted by id.
///
/// # Errors
/// When a policy's `Cargo.toml` has no literal version or its `metadata.yml` does not parse.
pub fn discover(root: &Path) -> Result<Vec<Policy>> {
    let dir = root.join("policies");
    let mut out = Vec::new();
    let entries = fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if !path.join("Cargo.toml").is_file() {
            continue;
        }
        let id = path
            .file_name()
            .and_then(|n| n.to_str())
            .context("policy folder name is not UTF-8")?
            .to_string();
        out.push(load(&path, id)?);
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

fn load(dir: &Path, id: String) -> Result<Policy> {
    let cargo = fs::read_to_string(dir.join("Cargo.toml"))
        .with_context(|| format!("policies/{id}/Cargo.toml"))?;
    let version = package_version(&cargo)
        .with_context(|| format!("policies/{id}/Cargo.toml has no literal [package] version"))?;
    let meta_text = fs::read_to_string(dir.join("metadata.yml"))
        .with_context(|| format!("policies/{id}/metadata.yml"))?;
    let metadata: Metadata = serde_yaml::from_str(&meta_text)
        .with_context(|| format!("policies/{id}/metadata.yml does not parse"))?;
    if metadata.rules.is_empty() {
        bail!("policies/{id}/metadata.yml has no rules");
    }
    Ok(Policy {
        id,
        version,
        metadata,
        dir: dir.to_path_buf(),
    })
}

/// The literal `version = "…"` of the `[package]` table.
pub fn package_version(cargo_toml: &str) -> Option<String> {
    let mut in_package = false;
    for line in cargo_toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if !in_package {
            continue;
        }
        if let Some(rest) = line.strip_prefix("version") {
            let rest = rest.trim_start();
            let value = rest.strip_prefix('=')?.trim();
            return value
                .strip_prefix('"')
                .and_then(|v| v.split('"').next())
                .map(str::to_string);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_version_is_read_only_from_the_package_table() {
        let t = "[package]\nname = \"x\"\nversion = \"1.2.3\"\n[dependencies]\nversion = \"9\"\n";
        assert_eq!(package_version(t).as_deref(), Some("1.2.3"));
        assert_eq!(
            package_version("[package]\nversion.workspace = true\n"),
            None
        );
        assert_eq!(package_version("[dependencies]\nversion = \"1\"\n"), None);
    }
}
