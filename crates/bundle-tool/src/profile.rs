//! Profiles: named subsets of the bundle with settings and modes (`profiles/<name>.yaml`).
//!
//! ```yaml
//! name: pci-dss
//! description: What the profile reproduces and for whom.
//! excludedNamespaces: [kube-system, ...]   # optional; the default list otherwise
//! policies:
//!   - id: no-privileged-containers
//!     mode: protect                        # protect | monitor; default: the module's default mode
//!     settings: {}                         # the module's settings, as is
//!     mutating: false                      # true only when the settings enable its mutation mode
//!     includeSystemNamespaces: false       # default: the module's metadata decides
//! ```

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::Value;

use crate::policy::Policy;

/// The namespaces left out of every policy's `namespaceSelector` unless a profile says otherwise:
/// the control plane's own and those of the admission and networking add-ons AKS installs, so
/// installing the bundle cannot block the cluster from running itself.
pub const DEFAULT_EXCLUDED_NAMESPACES: &[&str] = &[
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "kubewarden",
    "gatekeeper-system",
    "calico-system",
    "tigera-operator",
    "aks-command",
    "app-routing-system",
];

/// A profile file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Profile {
    /// Its name: the file name without `.yaml`.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Namespaces left out of the policies' scope (default [`DEFAULT_EXCLUDED_NAMESPACES`]).
    #[serde(default)]
    pub excluded_namespaces: Option<Vec<String>>,
    /// The modules it installs.
    pub policies: Vec<Entry>,
}

/// One module of a profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Entry {
    /// The policy id (`policies/<id>`).
    pub id: String,
    /// `protect` or `monitor`.
    #[serde(default)]
    pub mode: Option<String>,
    /// The module's settings.
    #[serde(default)]
    pub settings: Option<Value>,
    /// Whether the settings turn on the module's mutation mode.
    #[serde(default)]
    pub mutating: Option<bool>,
    /// Keep the system namespaces in scope.
    #[serde(default)]
    pub include_system_namespaces: Option<bool>,
}

impl Profile {
    /// Reads a profile file.
    ///
    /// # Errors
    /// When it does not parse or its name is not its file name.
    pub fn load(path: &Path) -> Result<Profile> {
        let text =
            fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let p: Profile = serde_yaml::from_str(&text)
            .with_context(|| format!("{} is not a valid profile", path.display()))?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if p.name != stem {
            bail!(
                "{}: name {:?} differs from the file name {:?}",
                path.display(),
                p.name,
                stem
            );
        }
        Ok(p)
    }

    /// Finds a profile by name under `<root>/profiles`, or reads the path given.
    ///
    /// # Errors
    /// As [`Profile::load`].
    pub fn find(root: &Path, name_or_path: &str) -> Result<Profile> {
        let as_path = Path::new(name_or_path);
        if as_path.extension().is_some() || name_or_path.contains('/') {
            return Profile::load(as_path);
        }
        Profile::load(&root.join("profiles").join(format!("{name_or_path}.yaml")))
    }

    /// The profile of `deploy/base`: every policy, in monitor mode, with `settings` given per id.
    pub fn base(policies: &[Policy], settings: impl Fn(&str) -> Option<Value>) -> Profile {
        Profile {
            name: "base".into(),
            description: "Every policy of the bundle in monitor mode.".into(),
            excluded_namespaces: None,
            policies: policies
                .iter()
                .map(|p| Entry {
                    id: p.id.clone(),
                    mode: Some("monitor".into()),
                    settings: settings(&p.id),
                    mutating: None,
                    include_system_namespaces: None,
                })
                .collect(),
        }
    }

    /// The excluded namespaces in effect.
    pub fn excluded_namespaces(&self) -> Vec<String> {
        self.excluded_namespaces.clone().unwrap_or_else(|| {
            DEFAULT_EXCLUDED_NAMESPACES
                .iter()
                .map(|s| (*s).to_string())
                .collect()
        })
    }

    /// Checks the profile against the policies of the bundle: known ids, no duplicates, valid
    /// modes, settings that are objects, `mutating` only for mutating modules.
    ///
    /// # Errors
    /// Every problem found, one per line.
    pub fn check(&self, policies: &[Policy]) -> Result<()> {
        let mut problems = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, e) in self.policies.iter().enumerate() {
            let at = format!("profile {} policies[{i}] ({})", self.name, e.id);
            if !seen.insert(e.id.as_str()) {
                problems.push(format!("{at}: listed twice"));
            }
            let Some(p) = policies.iter().find(|p| p.id == e.id) else {
                problems.push(format!("{at}: no such policy under policies/"));
                continue;
            };
            if let Some(m) = &e.mode
                && m != "protect"
                && m != "monitor"
            {
                problems.push(format!("{at}: mode {m:?} is neither protect nor monitor"));
            }
            if let Some(s) = &e.settings
                && !s.is_object()
            {
                problems.push(format!("{at}: settings must be a mapping"));
            }
            if e.mutating == Some(true) && !p.metadata.mutating {
                problems.push(format!(
                    "{at}: mutating is true but the module does not mutate"
                ));
            }
        }
        if self.policies.is_empty() {
            problems.push(format!("profile {} lists no policies", self.name));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            bail!("{}", problems.join("\n"))
        }
    }
}

/// Every profile under `<root>/profiles`, sorted by name.
///
/// # Errors
/// When one does not load.
pub fn discover(root: &Path) -> Result<Vec<Profile>> {
    let dir = root.join("profiles");
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for entry in fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yaml") {
            out.push(Profile::load(&path)?);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
