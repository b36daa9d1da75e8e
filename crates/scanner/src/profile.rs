//! Profiles (`profiles/<name>.yaml`): a named selection of the bundle's modules, each with its
//! mode (`protect` or `monitor`) and its settings, as `host-test scan --profile` reads it.
//!
//! ```yaml
//! name: pss-restricted            # = the file name without .yaml
//! description: >-
//!   What the profile reproduces and for whom.
//! policies:
//!   - id: run-as-non-root         # the module DIST/<id>.wasm (the folder policies/<id>)
//!     mode: protect               # protect | monitor (default protect)
//!     settings: {}                # passed to the module as is (default {})
//!     mutating: true              # optional: only when the settings enable mutation
//!     includeSystemNamespaces: false  # optional: default, the module's metadata decides
//! excludedNamespaces: [kube-system, ...]  # optional: default, bundle-tool's list
//! ```
//!
//! As deployed (`bundle render`), each policy but those that include the system namespaces
//! carries a `namespaceSelector` leaving `excludedNamespaces` out; a scan evaluates the same
//! objects the cluster would send to it.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use host_test::request;
use host_test::response::PolicyMode;

/// Why a profile could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read profile {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid profile.
    #[error("invalid profile {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// One module of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileEntry {
    /// Policy id: the module `<id>.wasm` of the bundle.
    pub id: String,
    /// `protect` (violations count) or `monitor` (reported, never failing).
    pub mode: PolicyMode,
    /// Settings passed to the module as they are.
    pub settings: Value,
    /// Whether the entry's settings enable the module's mutation (`allowedToMutate`).
    pub mutating: bool,
    /// `includeSystemNamespaces`: `None` when the module's metadata decides
    /// (annotation `io.aks-baseline-policies/system-namespaces: include`).
    pub include_system_namespaces: Option<bool>,
}

/// A profile: its name, description and modules, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// `name` (equal to the file stem).
    pub name: String,
    /// `description`.
    pub description: String,
    /// `policies`.
    pub policies: Vec<ProfileEntry>,
    /// `excludedNamespaces` (bundle-tool's default list when the profile has none): the
    /// namespaces the deployed policies' `namespaceSelector` leaves out.
    pub excluded_namespaces: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: String,
    description: String,
    policies: Vec<Value>,
    #[serde(default, rename = "excludedNamespaces")]
    excluded_namespaces: Option<Vec<String>>,
    /// Site parameters: applied before parsing ([`Profile::from_bundle`]).
    #[serde(default, rename = "parameters")]
    _parameters: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    settings: Option<Value>,
    #[serde(default)]
    mutating: Option<bool>,
    #[serde(default, rename = "includeSystemNamespaces")]
    include_system_namespaces: Option<bool>,
}

/// Whether `id` is a policy id: lower-case letters, digits and single dashes, starting with
/// a letter.
pub fn is_policy_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl Profile {
    /// Reads and checks a profile file; its `name` must be its file stem.
    ///
    /// # Errors
    /// When the file cannot be read, is not YAML, has unknown or missing keys, or an entry is
    /// invalid (bad id, duplicate id, unknown mode, settings that are not a mapping).
    pub fn load(path: impl AsRef<Path>) -> Result<Profile, ProfileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_owned(),
            source,
        })?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Profile::parse(&text, Some(&stem)).map_err(|message| ProfileError::Invalid {
            path: path.to_owned(),
            message,
        })
    }

    /// Parses profile text; `expected_name`, when given, is what `name` must be.
    ///
    /// # Errors
    /// With a message naming the offending key or entry.
    pub fn parse(text: &str, expected_name: Option<&str>) -> Result<Profile, String> {
        let value = request::parse_document(text).map_err(|e| e.to_string())?;
        Profile::from_value(value, expected_name)
    }

    /// A profile found by `bundle_tool` (a built-in name or a file, site parameters applied),
    /// checked as [`Profile::parse`] checks one.
    ///
    /// # Errors
    /// As [`Profile::parse`].
    pub fn from_bundle(profile: &bundle_tool::profile::Profile) -> Result<Profile, String> {
        let policies: Vec<Value> = profile
            .policies
            .iter()
            .map(|e| {
                let mut entry = Map::new();
                entry.insert("id".to_owned(), Value::String(e.id.clone()));
                if let Some(mode) = &e.mode {
                    entry.insert("mode".to_owned(), Value::String(mode.clone()));
                }
                if let Some(settings) = &e.settings {
                    entry.insert("settings".to_owned(), settings.clone());
                }
                if let Some(mutating) = e.mutating {
                    entry.insert("mutating".to_owned(), Value::Bool(mutating));
                }
                if let Some(include) = e.include_system_namespaces {
                    entry.insert("includeSystemNamespaces".to_owned(), Value::Bool(include));
                }
                Value::Object(entry)
            })
            .collect();
        let mut value = Map::new();
        value.insert("name".to_owned(), Value::String(profile.name.clone()));
        value.insert(
            "description".to_owned(),
            Value::String(profile.description.clone()),
        );
        value.insert("policies".to_owned(), Value::Array(policies));
        value.insert(
            "excludedNamespaces".to_owned(),
            Value::from(profile.excluded_namespaces()),
        );
        Profile::from_value(Value::Object(value), None)
    }

    fn from_value(value: Value, expected_name: Option<&str>) -> Result<Profile, String> {
        let raw: RawProfile = serde_json::from_value(value).map_err(|e| e.to_string())?;
        if let Some(expected) = expected_name
            && raw.name != expected
        {
            return Err(format!(
                "name is '{}' but the file is named '{expected}' (they must agree)",
                raw.name
            ));
        }
        if !is_policy_id(&raw.name) {
            return Err(format!(
                "name '{}' must be lower-case letters, digits and dashes",
                raw.name
            ));
        }
        if raw.description.trim().is_empty() {
            return Err("description is empty".to_owned());
        }
        if raw.policies.is_empty() {
            return Err("policies is empty".to_owned());
        }
        let mut policies: Vec<ProfileEntry> = Vec::with_capacity(raw.policies.len());
        for (index, entry) in raw.policies.into_iter().enumerate() {
            let at = format!("policies[{index}]");
            let entry: RawEntry =
                serde_json::from_value(entry).map_err(|e| format!("{at}: {e}"))?;
            if !is_policy_id(&entry.id) {
                return Err(format!(
                    "{at}.id '{}' is not a policy id (lower-case letters, digits and dashes)",
                    entry.id
                ));
            }
            if policies.iter().any(|p| p.id == entry.id) {
                return Err(format!("{at}.id '{}' is listed twice", entry.id));
            }
            let mode = match entry.mode.as_deref() {
                None => PolicyMode::Protect,
                Some(mode) => mode
                    .parse()
                    .map_err(|e: String| format!("{at}.mode: {e}"))?,
            };
            let settings = match entry.settings {
                None | Some(Value::Null) => Value::Object(Map::new()),
                Some(settings @ Value::Object(_)) => settings,
                Some(_) => return Err(format!("{at}.settings must be a mapping")),
            };
            policies.push(ProfileEntry {
                id: entry.id,
                mode,
                settings,
                mutating: entry.mutating.unwrap_or(false),
                include_system_namespaces: entry.include_system_namespaces,
            });
        }
        Ok(Profile {
            name: raw.name,
            description: raw.description,
            policies,
            excluded_namespaces: raw
                .excluded_namespaces
                .unwrap_or_else(bundle_tool::profile::default_excluded_namespaces),
        })
    }
}
