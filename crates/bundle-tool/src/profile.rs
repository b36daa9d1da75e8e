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
//!                                          # (io.aks-baseline-policies/system-namespaces: include)
//! parameters:                              # optional: the settings that are the site's to set
//!   registries:
//!     description: Registries images may come from.
//!     settings:                            # where the value goes: policy id and settings key
//!       - {policy: allowed-image-registries, key: allowedRegistries}
//!     required: false                      # true: no value is safe; its policies are left out until set
//!     list: false                          # true: a list value, also when the profile holds none
//! ```
//!
//! A **site parameter** is a setting whose right value depends on the cluster (its registries,
//! node pools, ingress classes, break-glass groups). The entries' settings hold a safe default
//! for any AKS cluster (or none, leaving the policy's own default); the user sets the
//! parameter with `--param NAME=VALUE` (a list setting takes `A,B,C`) or a values file
//! (`--values FILE`, a YAML mapping from parameter name to value), and `scan` and `render` say
//! which are unset and what stands in. The profiles of `profiles/` are also built into the binaries ([`BUILTIN`]), so a
//! name works anywhere.

use std::collections::{BTreeMap, BTreeSet};
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
    /// Its site parameters, by name.
    #[serde(default)]
    pub parameters: BTreeMap<String, Parameter>,
}

/// A site parameter of a profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Parameter {
    /// What the value is.
    pub description: String,
    /// The settings it fills (the first one's value in the profile is its default).
    pub settings: Vec<Target>,
    /// The policies it fills cannot run without a site value (no value is safe for every
    /// cluster, e.g. who must have signed the images): while it is unset they are left out of
    /// the profile (said in a note), and the profile holds no value for it.
    #[serde(default)]
    pub required: bool,
    /// Its value is a list (`--param NAME=A,B` splits at commas), also when the profile holds
    /// no value to tell (a required parameter).
    #[serde(default)]
    pub list: bool,
}

/// One setting a parameter fills: `settings.<key>` of policy `policy` (a dotted key reaches
/// into nested mappings).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Target {
    /// The policy id.
    pub policy: String,
    /// The settings key.
    pub key: String,
}

/// [`DEFAULT_EXCLUDED_NAMESPACES`] as owned strings: what a profile without
/// `excludedNamespaces` leaves out (`bundle render` and `host-test scan` alike).
pub fn default_excluded_namespaces() -> Vec<String> {
    DEFAULT_EXCLUDED_NAMESPACES
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// The profiles of `profiles/`, built in: (name, text).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "aks-baseline",
        include_str!("../../../profiles/aks-baseline.yaml"),
    ),
    ("pci-dss", include_str!("../../../profiles/pci-dss.yaml")),
    (
        "pss-baseline",
        include_str!("../../../profiles/pss-baseline.yaml"),
    ),
    (
        "pss-restricted",
        include_str!("../../../profiles/pss-restricted.yaml"),
    ),
];

/// What applying parameters did: the parameters the user did not set, each with what was used
/// instead, for a note.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// (name, description, what stands in: the profile's value as JSON, or `None` for the
    /// policy's own default).
    pub unset: Vec<(String, String, Option<String>)>,
    /// (name, description, the policies left out): required parameters not set.
    pub left_out: Vec<(String, String, Vec<String>)>,
}

impl Applied {
    /// One note per unset parameter: what is used, and how to set it.
    pub fn notes(&self, profile: &str) -> Vec<String> {
        let left_out = self.left_out.iter().map(|(name, description, policies)| {
            format!(
                "profile {profile}: {} {} left out: {} site parameter '{name}' ({description}), which has no safe default; set it with --param {name}=VALUE or --values FILE to run {}",
                policies.join(", "),
                if policies.len() == 1 { "is" } else { "are" },
                if policies.len() == 1 { "it needs the" } else { "they need the" },
                if policies.len() == 1 { "it" } else { "them" },
            )
        });
        self.unset
            .iter()
            .map(|(name, description, default)| {
                let used = default.as_deref().map_or_else(
                    || "the policies' own defaults".to_owned(),
                    |d| format!("the profile's value {d}"),
                );
                format!(
                    "profile {profile}: site parameter '{name}' ({description}) is not set: using {used}; set it with --param {name}=VALUE or --values FILE"
                )
            })
            .chain(left_out)
            .collect()
    }
}

/// A `--param NAME=VALUE` value read for `parameter`: a list (comma-separated, blanks trimmed)
/// when its default is a list, else a YAML scalar (`true`, `3`, text).
///
/// # Errors
/// When the text has no `=`.
pub fn parse_param(text: &str) -> Result<(String, String)> {
    let Some((name, value)) = text.split_once('=') else {
        bail!("--param {text:?}: expected NAME=VALUE");
    };
    Ok((name.trim().to_owned(), value.to_owned()))
}

/// Sets `value` at the dotted `key` of `settings` (a mapping; created when missing).
fn set_at(settings: &mut Value, key: &str, value: Value) {
    if !settings.is_object() {
        *settings = Value::Object(serde_json::Map::new());
    }
    let mut at = settings;
    let mut parts = key.split('.').peekable();
    while let Some(part) = parts.next() {
        let Some(map) = at.as_object_mut() else {
            return;
        };
        if parts.peek().is_none() {
            map.insert(part.to_owned(), value);
            return;
        }
        at = map
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if !at.is_object() {
            *at = Value::Object(serde_json::Map::new());
        }
    }
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

    /// Finds a profile: a file (a path with an extension or a `/`, or any existing file),
    /// else a name under `<root>/profiles`, else a built-in profile ([`BUILTIN`]).
    ///
    /// # Errors
    /// As [`Profile::load`], or when no profile has that name (the names are listed).
    pub fn find(root: &Path, name_or_path: &str) -> Result<Profile> {
        let as_path = Path::new(name_or_path);
        if as_path.extension().is_some() || name_or_path.contains('/') || as_path.is_file() {
            return Profile::load(as_path);
        }
        let local = root.join("profiles").join(format!("{name_or_path}.yaml"));
        if local.is_file() {
            return Profile::load(&local);
        }
        Profile::builtin(name_or_path)
    }

    /// The built-in profile `name`.
    ///
    /// # Errors
    /// When there is none of that name (the names are listed).
    pub fn builtin(name: &str) -> Result<Profile> {
        let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name) else {
            let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
            bail!(
                "no profile named {name:?} (built-in profiles: {}; or give a file)",
                names.join(", ")
            );
        };
        let p: Profile = serde_yaml::from_str(text)
            .with_context(|| format!("the built-in profile {name} is not valid"))?;
        Ok(p)
    }

    /// The value a parameter has in the profile: its first target's setting, if set.
    pub fn parameter_value(&self, name: &str) -> Option<&Value> {
        let target = self.parameters.get(name)?.settings.first()?;
        let entry = self.policies.iter().find(|e| e.id == target.policy)?;
        let mut at = entry.settings.as_ref()?;
        for part in target.key.split('.') {
            at = at.get(part)?;
        }
        Some(at)
    }

    /// Fills the settings named by the site parameters with the values of `given`; the
    /// others keep the profile's value (reported as unset).
    ///
    /// # Errors
    /// When `given` names a parameter the profile does not declare, or a parameter targets
    /// a policy the profile does not list.
    pub fn apply_parameters(&mut self, given: &BTreeMap<String, Value>) -> Result<Applied> {
        for name in given.keys() {
            if !self.parameters.contains_key(name) {
                let known: Vec<&str> = self.parameters.keys().map(String::as_str).collect();
                bail!(
                    "profile {} has no site parameter {name:?} (its parameters: {})",
                    self.name,
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                );
            }
        }
        let mut applied = Applied::default();
        let mut leave_out: BTreeSet<String> = BTreeSet::new();
        for (name, parameter) in &self.parameters {
            if parameter.required && !given.contains_key(name) {
                let policies: Vec<String> = parameter
                    .settings
                    .iter()
                    .map(|t| t.policy.clone())
                    .collect();
                leave_out.extend(policies.iter().cloned());
                applied
                    .left_out
                    .push((name.clone(), parameter.description.clone(), policies));
                continue;
            }
            let Some(value) = given.get(name).cloned() else {
                applied.unset.push((
                    name.clone(),
                    parameter.description.clone(),
                    self.parameter_value(name)
                        .map(|v| serde_json::to_string(v).unwrap_or_default()),
                ));
                continue;
            };
            for target in &parameter.settings {
                let Some(entry) = self.policies.iter_mut().find(|e| e.id == target.policy) else {
                    bail!(
                        "profile {}: parameter {name:?} sets policy {:?}, which the profile does not list",
                        self.name,
                        target.policy
                    );
                };
                let settings = entry
                    .settings
                    .get_or_insert_with(|| Value::Object(serde_json::Map::new()));
                set_at(settings, &target.key, value.clone());
            }
        }
        self.policies.retain(|entry| !leave_out.contains(&entry.id));
        let left_out: BTreeSet<&String> = applied.left_out.iter().map(|(n, _, _)| n).collect();
        self.parameters.retain(|name, _| !left_out.contains(name));
        Ok(applied)
    }

    /// `--param` texts (`NAME=VALUE`) and a values file's mapping read as parameter values:
    /// a list parameter (its value in the profile a list) splits `A,B` at commas; others read
    /// the text as a YAML scalar. The values file's values are taken as they are; `--param` wins.
    ///
    /// # Errors
    /// When a text has no `=`.
    pub fn parameter_values(
        &self,
        params: &[String],
        values: Option<&Value>,
    ) -> Result<BTreeMap<String, Value>> {
        let mut out = BTreeMap::new();
        if let Some(Value::Object(map)) = values {
            for (name, value) in map {
                out.insert(name.clone(), value.clone());
            }
        }
        for text in params {
            let (name, raw) = parse_param(text)?;
            let is_list = self.parameters.get(&name).is_some_and(|p| p.list)
                || self.parameter_value(&name).is_some_and(Value::is_array);
            let value = if is_list {
                Value::Array(
                    raw.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| Value::String(s.to_owned()))
                        .collect(),
                )
            } else {
                serde_yaml::from_str::<Value>(&raw).unwrap_or(Value::String(raw.clone()))
            };
            out.insert(name, value);
        }
        Ok(out)
    }

    /// The profile of `deploy/base`: every policy, in monitor mode, with `settings` given per id.
    pub fn base(policies: &[Policy], settings: impl Fn(&str) -> Option<Value>) -> Profile {
        Profile {
            name: "base".into(),
            description: "Every policy of the bundle in monitor mode.".into(),
            excluded_namespaces: None,
            parameters: BTreeMap::new(),
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
        self.excluded_namespaces
            .clone()
            .unwrap_or_else(default_excluded_namespaces)
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
        for (name, parameter) in &self.parameters {
            if parameter.settings.is_empty() {
                problems.push(format!(
                    "profile {} parameter {name}: sets no setting",
                    self.name
                ));
            }
            if parameter.required && self.parameter_value(name).is_some() {
                problems.push(format!(
                    "profile {} parameter {name}: required, so the profile may not hold a value for it (no sample values)",
                    self.name
                ));
            }
            for target in &parameter.settings {
                if !self.policies.iter().any(|e| e.id == target.policy) {
                    problems.push(format!(
                        "profile {} parameter {name}: policy {} is not in the profile",
                        self.name, target.policy
                    ));
                }
            }
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
