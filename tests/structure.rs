//! Structure of every policy folder, and agreement of its names.
//!
//! Every directory under `policies/` holding a `Cargo.toml` is a policy `<id>`. The checker
//! ([`check_policy`], [`check_workspace`]) returns the problems it finds as strings, each naming
//! the policy (or the workspace file) and the problem; the tests assert that the real repository
//! has none, and that a deliberately broken copy has exactly the problems planted in it.
//!
//! Checked per policy:
//! 1. the parts: `Cargo.toml`, `src/lib.rs`, `metadata.yml`, `README.md`, `cases.yaml`, and a
//!    non-empty `requests/`;
//! 2. `Cargo.toml`: `[package] name` is the folder name, a literal `version` (the policy's one
//!    source of version), `crate-type` includes `cdylib`, every dependency is `workspace = true`;
//! 3. `metadata.yml`: only known top-level keys, non-empty well-formed `rules`, `mutating`,
//!    `backgroundAudit`, `executionMode: kubewarden-wapc`, the required annotations (title = id,
//!    version = the Cargo version, ociUrl ending in the id, control ids, catalogue row), and a
//!    policy routing `pods` CREATE also routes `pods/ephemeralcontainers` UPDATE;
//! 4. the control ids are the `CONTROLS` constant of `src/lib.rs` (same text) and each appears in
//!    `README.md`;
//! 5. `cases.yaml`: unique names, existing request files, an accepted, a rejected and an
//!    invalid-settings case, an UPDATE, a DELETE and a code-400 case; pod policies also every
//!    pod-bearing kind and the `ephemeralcontainers` subresource;
//! 6. every file under `requests/` is used by a case and is an AdmissionRequest (or a whole
//!    AdmissionReview) with `uid`, `kind`, `resource`, `operation` and `userInfo`;
//! 7. `README.md` starts with `# <id>`, has a `## Settings` section, and that section names every
//!    top-level settings key the (valid-settings) cases use.
//!
//! Checked for the workspace: the root `README.md` (skipped with a note while it does not exist)
//! has a `## Catalogue` table with a row per policy, giving its catalogue row and control ids;
//! once `artifacthub/` has per-policy folders, each policy has `artifacthub/<id>/artifacthub-pkg.yml`
//! with its name and version, and no folder is left for a policy that does not exist.
//!
//! `make test-scaffold` runs the ignored test of [`scaffold`]: `make new-policy` of every shape
//! in a scratch copy, these checks on the copy, then the new crates built and their cases run.

#[path = "structure/features.rs"]
mod features;
#[path = "structure/scaffold.rs"]
mod scaffold;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use serde_yaml::Value;

// ---------------------------------------------------------------------------------------------
// What is required
// ---------------------------------------------------------------------------------------------

/// The files every policy folder holds (besides a non-empty `requests/`).
const REQUIRED_FILES: &[&str] = &[
    "Cargo.toml",
    "src/lib.rs",
    "metadata.yml",
    "README.md",
    "cases.yaml",
];

/// The top-level keys a Kubewarden `metadata.yml` may have.
const METADATA_KEYS: &[&str] = &[
    "rules",
    "mutating",
    "backgroundAudit",
    "executionMode",
    "policyType",
    "contextAwareResources",
    "hostCapabilities",
    "minimumKubewardenVersion",
    "annotations",
];

/// Annotations every policy's metadata carries (non-empty strings).
const REQUIRED_ANNOTATIONS: &[&str] = &[
    "io.kubewarden.policy.title",
    "io.kubewarden.policy.version",
    "io.kubewarden.policy.description",
    "io.kubewarden.policy.author",
    "io.kubewarden.policy.url",
    "io.kubewarden.policy.source",
    "io.kubewarden.policy.ociUrl",
    "io.kubewarden.policy.license",
    "io.artifacthub.displayName",
    "io.artifacthub.resources",
    "io.artifacthub.keywords",
    CONTROLS_ANNOTATION,
    ROW_ANNOTATION,
];

const CONTROLS_ANNOTATION: &str = "io.aks-baseline-policies/controls";
const ROW_ANNOTATION: &str = "io.aks-baseline-policies/catalogue-row";

/// The kinds that carry a pod spec: a pod policy has a case for each.
const POD_BEARING_KINDS: &[&str] = &[
    "Pod",
    "PodTemplate",
    "ReplicationController",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
];

/// The keys an AdmissionRequest must have (see docs/cases.md).
const REQUEST_KEYS: &[&str] = &["uid", "kind", "resource", "operation", "userInfo"];

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

/// The policy ids: every directory under `<root>/policies` that holds a `Cargo.toml`, sorted.
pub fn policy_ids(root: &Path) -> Vec<String> {
    let mut ids: Vec<String> = fs::read_dir(root.join("policies"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().join("Cargo.toml").is_file())
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// Every problem of `policies/<id>/`, each message starting with `<id>: `.
pub fn check_policy(root: &Path, id: &str) -> Vec<String> {
    let dir = root.join("policies").join(id);
    let mut p = Problems::new(id);

    // 1. The parts.
    for f in REQUIRED_FILES {
        if !dir.join(f).is_file() {
            p.add(format!("{f} is missing"));
        }
    }
    let request_files = files_under(&dir.join("requests"));
    if !dir.join("requests").is_dir() {
        p.add("requests/ is missing");
    } else if request_files.is_empty() {
        p.add("requests/ is empty");
    }

    // 2. Cargo.toml.
    let version = read(&dir.join("Cargo.toml")).and_then(|t| check_cargo_toml(&mut p, id, &t));

    // 3. metadata.yml.
    let meta = read(&dir.join("metadata.yml"))
        .and_then(|t| parse_yaml(&mut p, "metadata.yml", &t))
        .map(|v| check_metadata(&mut p, id, version.as_deref(), &v));

    // 4. The control ids in README.md and in CONTROLS of src/lib.rs.
    let readme = read(&dir.join("README.md"));
    if let Some(controls) = meta.as_ref().and_then(|m| m.controls.as_deref()) {
        if let Some(readme) = &readme {
            for c in split_list(controls) {
                if !contains_word(readme, c) {
                    p.add(format!(
                        "README.md does not mention control `{c}` (metadata.yml {CONTROLS_ANNOTATION})"
                    ));
                }
            }
        }
        if let Some(lib) = read(&dir.join("src/lib.rs")) {
            match controls_constant(&lib) {
                None => p.add("src/lib.rs has no `const CONTROLS: &'static str = \"…\";`"),
                Some(c) if c != controls => p.add(format!(
                    "src/lib.rs CONTROLS is {c:?} but metadata.yml {CONTROLS_ANNOTATION} is {controls:?}"
                )),
                Some(_) => {}
            }
        }
    }

    // 5. and 6. cases.yaml and requests/.
    let pod_policy = meta.as_ref().is_some_and(|m| m.routes_pods);
    let settings_keys = read(&dir.join("cases.yaml"))
        .and_then(|t| parse_yaml(&mut p, "cases.yaml", &t))
        .map(|v| check_cases(&mut p, &dir, pod_policy, &v, &request_files))
        .unwrap_or_default();

    // 7. README.md.
    if let Some(readme) = &readme {
        if readme.lines().next().map(str::trim) != Some(format!("# {id}").as_str()) {
            p.add(format!("README.md does not start with the title `# {id}`"));
        }
        match markdown_section(readme, "Settings") {
            None => p.add("README.md has no `## Settings` section"),
            Some(section) => {
                for key in &settings_keys {
                    if !contains_word(section, key) {
                        p.add(format!(
                            "README.md `## Settings` does not document the settings key `{key}` used in cases.yaml"
                        ));
                    }
                }
            }
        }
    }

    // 8. The module reads JSON through the modules' reader only: one call of serde_json's
    //    reader (or a `serde_json::Value` decoded by serde) links a second reader into it.
    for file in files_under(&dir.join("src")) {
        if let Some(text) = read(&file) {
            let name = file
                .strip_prefix(&dir)
                .unwrap_or(&file)
                .display()
                .to_string();
            for problem in second_reader_uses(&text) {
                p.add(format!("{name}: {problem}"));
            }
        }
    }

    p.list
}

/// Calls of serde_json's reader in the module code of `text` (the part before its first
/// `#[cfg(test)]`; tests may compare with serde_json).
pub fn second_reader_uses(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let line = line.split("//").next().unwrap_or("");
        for call in [
            "serde_json::from_str",
            "serde_json::from_slice",
            "serde_json::from_reader",
            "serde_json::from_value",
            "serde_json::to_value",
            "serde_json::Deserializer",
        ] {
            if line.contains(call) {
                found.push(format!(
                    "line {}: `{call}` links serde_json's reader into the module; read with `policy_helpers::json` (`from_str`, or `value` for a `serde_json::Value`)",
                    n + 1
                ));
            }
        }
    }
    found
}

/// Workspace-level problems, and notes about checks skipped for now.
pub fn check_workspace(root: &Path, ids: &[String]) -> (Vec<String>, Vec<String>) {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let facts: BTreeMap<&str, PolicyFacts> = ids
        .iter()
        .map(|id| (id.as_str(), PolicyFacts::read(root, id)))
        .collect();

    // The catalogue of the root README.
    match read(&root.join("README.md")) {
        None => notes.push("README.md does not exist yet: catalogue check skipped".to_owned()),
        Some(readme) => match markdown_section(&readme, "Catalogue") {
            None => problems.push("README.md: no `## Catalogue` section".to_owned()),
            Some(section) => {
                let rows: Vec<&str> = section
                    .lines()
                    .filter(|l| l.trim_start().starts_with('|'))
                    .collect();
                for (id, f) in &facts {
                    let quoted = format!("`{id}`");
                    let Some(row) = rows
                        .iter()
                        .find(|r| table_cells(r).first().is_some_and(|c| c.contains(&quoted)))
                    else {
                        problems.push(format!(
                            "README.md: the catalogue table has no row for `{id}`"
                        ));
                        continue;
                    };
                    let cells = table_cells(row);
                    if let Some(r) = &f.row
                        && !cells.iter().any(|c| c == r)
                    {
                        problems.push(format!(
                            "README.md: the catalogue row of `{id}` does not give its catalogue row {r} (metadata.yml)"
                        ));
                    }
                    if let Some(c) = &f.controls
                        && !cells.iter().any(|cell| cell == c)
                    {
                        problems.push(format!(
                            "README.md: the catalogue row of `{id}` does not give its controls {c:?} (metadata.yml)"
                        ));
                    }
                }
            }
        },
    }

    // ArtifactHub packages, once they are generated per policy.
    let ah = root.join("artifacthub");
    let folders: BTreeSet<String> = fs::read_dir(&ah)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if folders.is_empty() {
        notes.push("artifacthub/ has no per-policy folders yet: package check skipped".to_owned());
    } else {
        for (id, f) in &facts {
            let rel = format!("artifacthub/{id}/artifacthub-pkg.yml");
            let Some(text) = read(&root.join(&rel)) else {
                problems.push(format!("{id}: {rel} is missing"));
                continue;
            };
            let pkg = match serde_yaml::from_str::<Value>(&text) {
                Ok(v) => v,
                Err(e) => {
                    problems.push(format!("{id}: {rel} does not parse: {e}"));
                    continue;
                }
            };
            let name = pkg.get("name").and_then(scalar);
            if name.as_deref() != Some(id) {
                problems.push(format!("{id}: {rel} name is {name:?}, not {id:?}"));
            }
            let version = pkg.get("version").and_then(scalar);
            if let Some(v) = &f.version
                && version.as_ref() != Some(v)
            {
                problems.push(format!(
                    "{id}: {rel} version is {version:?} but Cargo.toml says {v:?} (regenerate it)"
                ));
            }
        }
        for folder in &folders {
            if !facts.contains_key(folder.as_str()) {
                problems.push(format!(
                    "artifacthub/{folder}/ belongs to no policy (no policies/{folder}/Cargo.toml)"
                ));
            }
        }
    }

    (problems, notes)
}

/// Problems of one policy, each prefixed with its id.
struct Problems<'a> {
    id: &'a str,
    list: Vec<String>,
}

impl<'a> Problems<'a> {
    fn new(id: &'a str) -> Self {
        Problems {
            id,
            list: Vec::new(),
        }
    }

    fn add(&mut self, problem: impl AsRef<str>) {
        self.list.push(format!("{}: {}", self.id, problem.as_ref()));
    }
}

/// What the workspace checks need of a policy (read leniently: its own problems are reported by
/// [`check_policy`]).
struct PolicyFacts {
    version: Option<String>,
    controls: Option<String>,
    row: Option<String>,
}

impl PolicyFacts {
    fn read(root: &Path, id: &str) -> Self {
        let dir = root.join("policies").join(id);
        let mut scratch = Problems::new(id);
        let version =
            read(&dir.join("Cargo.toml")).and_then(|t| check_cargo_toml(&mut scratch, id, &t));
        let meta =
            read(&dir.join("metadata.yml")).and_then(|t| serde_yaml::from_str::<Value>(&t).ok());
        let annotation = |key: &str| {
            meta.as_ref()
                .and_then(|m| m.get("annotations"))
                .and_then(|a| a.get(key))
                .and_then(scalar)
        };
        PolicyFacts {
            version,
            controls: annotation(CONTROLS_ANNOTATION),
            row: annotation(ROW_ANNOTATION),
        }
    }
}

// ---- 2. Cargo.toml ---------------------------------------------------------------------------

/// Checks the manifest; returns the literal package version.
fn check_cargo_toml(p: &mut Problems, id: &str, text: &str) -> Option<String> {
    let entries = match toml_entries(text) {
        Ok(e) => e,
        Err(e) => {
            p.add(format!("Cargo.toml cannot be read: {e}"));
            return None;
        }
    };
    let get = |section: &str, key: &str| {
        entries
            .iter()
            .find(|e| e.section == section && e.key == key)
            .map(|e| e.value.as_str())
    };

    match get("package", "name").and_then(toml_string) {
        None => p.add("Cargo.toml has no [package] name"),
        Some(name) if name != id => p.add(format!(
            "Cargo.toml [package] name is {name:?}, not the folder name {id:?}"
        )),
        Some(_) => {}
    }

    let version = get("package", "version").and_then(toml_string);
    if version.is_none() {
        if get("package", "version.workspace").is_some() {
            p.add("Cargo.toml [package] version is inherited from the workspace; a policy sets its own `version = \"…\"`");
        } else {
            p.add("Cargo.toml has no [package] version");
        }
    }

    let crate_types = get("lib", "crate-type").map(toml_array).unwrap_or_default();
    if !crate_types.iter().any(|t| t == "cdylib") {
        p.add("Cargo.toml [lib] crate-type does not include \"cdylib\"");
    }

    // Dependencies: `name = { workspace = true, … }`, `name.workspace = true`, or a
    // `[dependencies.name]` table with `workspace = true`.
    let mut deps: BTreeMap<(String, String), bool> = BTreeMap::new();
    for e in &entries {
        let (table, name, subkey) = if is_dependency_table(&e.section) {
            match e.key.split_once('.') {
                Some((name, sub)) => (e.section.clone(), name.to_owned(), Some(sub.to_owned())),
                None => (e.section.clone(), e.key.clone(), None),
            }
        } else if let Some((table, name)) = e.section.rsplit_once('.')
            && is_dependency_table(table)
        {
            (table.to_owned(), name.to_owned(), Some(e.key.clone()))
        } else {
            continue;
        };
        let uses_workspace = match subkey.as_deref() {
            Some("workspace") => e.value == "true",
            Some(_) => false,
            None => toml_inline_table(&e.value)
                .iter()
                .any(|(k, v)| k == "workspace" && v == "true"),
        };
        *deps.entry((table, name)).or_insert(false) |= uses_workspace;
    }
    for ((table, name), uses_workspace) in deps {
        if !uses_workspace {
            p.add(format!(
                "Cargo.toml [{table}] `{name}` does not use `workspace = true` (versions live in the root [workspace.dependencies])"
            ));
        }
    }

    version
}

fn is_dependency_table(section: &str) -> bool {
    let last = section.rsplit('.').next().unwrap_or(section);
    let is_deps = matches!(
        last,
        "dependencies" | "dev-dependencies" | "build-dependencies"
    );
    is_deps && (section == last || section.starts_with("target."))
}

// ---- 3. metadata.yml -------------------------------------------------------------------------

/// What the other checks need from the metadata.
struct Metadata {
    controls: Option<String>,
    routes_pods: bool,
}

fn check_metadata(p: &mut Problems, id: &str, version: Option<&str>, v: &Value) -> Metadata {
    let mut out = Metadata {
        controls: None,
        routes_pods: false,
    };
    let Some(map) = v.as_mapping() else {
        p.add("metadata.yml is not a mapping");
        return out;
    };
    for key in map.keys() {
        let k = key.as_str().unwrap_or("<non-string key>");
        if !METADATA_KEYS.contains(&k) {
            p.add(format!("metadata.yml has an unknown top-level key `{k}`"));
        }
    }

    // rules
    let rules = v.get("rules").and_then(Value::as_sequence);
    match rules {
        None => p.add("metadata.yml has no `rules` list"),
        Some(r) if r.is_empty() => p.add("metadata.yml `rules` is empty"),
        Some(_) => {}
    }
    let rules: Vec<Rule> = rules
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| {
            let mut list = |key: &str| {
                let l = string_list(r.get(key));
                if l.is_empty() {
                    p.add(format!("metadata.yml rules[{i}] has no `{key}`"));
                }
                l
            };
            Rule {
                groups: list("apiGroups"),
                resources: list("resources"),
                operations: list("operations"),
                _versions: list("apiVersions"),
            }
        })
        .collect();
    out.routes_pods = rules.iter().any(|r| r.core() && r.has_resource("pods"));
    let creates_pods = rules
        .iter()
        .any(|r| r.core() && r.has_resource("pods") && r.has_operation("CREATE"));
    let routes_ephemeral = rules.iter().any(|r| {
        r.core() && r.has_resource("pods/ephemeralcontainers") && r.has_operation("UPDATE")
    });
    if creates_pods && !routes_ephemeral {
        p.add("metadata.yml routes pods CREATE but not pods/ephemeralcontainers UPDATE (kubectl debug would bypass the policy)");
    }

    // The other top-level fields.
    if !matches!(v.get("mutating"), Some(Value::Bool(_))) {
        p.add("metadata.yml `mutating` is missing or not a boolean");
    }
    if !matches!(v.get("backgroundAudit"), Some(Value::Bool(_))) {
        p.add("metadata.yml `backgroundAudit` is missing or not a boolean");
    }
    let mode = v.get("executionMode").and_then(scalar);
    if mode.as_deref() != Some("kubewarden-wapc") {
        p.add(format!(
            "metadata.yml executionMode is {mode:?}, not \"kubewarden-wapc\""
        ));
    }

    // annotations
    let Some(annotations) = v.get("annotations").and_then(Value::as_mapping) else {
        p.add("metadata.yml has no `annotations` mapping");
        return out;
    };
    let get = |k: &str| annotations.get(k).and_then(scalar);
    for key in REQUIRED_ANNOTATIONS {
        if get(key).is_none_or(|s| s.trim().is_empty()) {
            p.add(format!("metadata.yml lacks the annotation `{key}`"));
        }
    }
    if let Some(title) = get("io.kubewarden.policy.title")
        && title != id
    {
        p.add(format!(
            "metadata.yml io.kubewarden.policy.title is {title:?}, not {id:?}"
        ));
    }
    if let (Some(annotated), Some(cargo)) = (get("io.kubewarden.policy.version"), version)
        && annotated != cargo
    {
        p.add(format!(
            "metadata.yml io.kubewarden.policy.version is {annotated:?} but Cargo.toml version is {cargo:?}"
        ));
    }
    if let Some(oci) = get("io.kubewarden.policy.ociUrl") {
        let last = oci.rsplit('/').next().unwrap_or_default();
        if last != id {
            p.add(format!(
                "metadata.yml io.kubewarden.policy.ociUrl {oci:?} does not end in /{id}"
            ));
        }
    }
    let azure_row = get(ROW_ANNOTATION).is_some_and(|r| is_azure_builtin_row(&r));
    if let Some(controls) = get(CONTROLS_ANNOTATION) {
        let ids = split_list(&controls);
        let mut seen = BTreeSet::new();
        for c in &ids {
            let outside = azure_row && ids.len() == 1 && *c == OUTSIDE_DOCUMENTS_MARKER;
            if !is_control_id(c) && !outside {
                p.add(format!(
                    "metadata.yml {CONTROLS_ANNOTATION}: {c:?} is not a control id like `ASB 7.3` or `PCI 7.2.1`"
                ));
            }
            if !seen.insert(*c) {
                p.add(format!(
                    "metadata.yml {CONTROLS_ANNOTATION} lists {c:?} twice"
                ));
            }
        }
        if !ids.is_empty() {
            out.controls = Some(controls);
        }
    }
    if let Some(row) = get(ROW_ANNOTATION)
        && !is_catalogue_row(&row)
    {
        p.add(format!(
            "metadata.yml {ROW_ANNOTATION} {row:?} is not a catalogue row like `P01` or `A13`"
        ));
    }
    out
}

struct Rule {
    groups: Vec<String>,
    resources: Vec<String>,
    operations: Vec<String>,
    _versions: Vec<String>,
}

impl Rule {
    fn core(&self) -> bool {
        self.groups.iter().any(|g| g.is_empty() || g == "*")
    }

    fn has_resource(&self, resource: &str) -> bool {
        let (main, sub) = resource.split_once('/').unwrap_or((resource, ""));
        self.resources.iter().any(|r| {
            let (rm, rs) = r.split_once('/').unwrap_or((r, ""));
            (rm == main || rm == "*") && (rs == sub || rs == "*")
        })
    }

    fn has_operation(&self, op: &str) -> bool {
        self.operations.iter().any(|o| o == op || o == "*")
    }
}

/// `ASB 7.3`, `PCI 7.2.1`: a capitalised framework name, a space, dotted numbers.
fn is_control_id(c: &str) -> bool {
    let Some((framework, number)) = c.split_once(' ') else {
        return false;
    };
    !framework.is_empty()
        && framework.chars().all(|ch| ch.is_ascii_uppercase())
        && number
            .split('.')
            .all(|n| !n.is_empty() && n.chars().all(|ch| ch.is_ascii_digit()))
}

/// `P01`: `P` and at least two digits; or an Azure built-in row (see [`is_azure_builtin_row`]).
fn is_catalogue_row(r: &str) -> bool {
    r.strip_prefix('P')
        .is_some_and(|n| n.len() >= 2 && n.chars().all(|ch| ch.is_ascii_digit()))
        || is_azure_builtin_row(r)
}

/// `A13`: `A` and digits, a row of the catalogue's appendix of Azure Policy built-ins. Two
/// policies (`no-bare-pods`, `require-probes`) implement Azure built-ins that have no `P` row.
fn is_azure_builtin_row(r: &str) -> bool {
    r.strip_prefix('A')
        .is_some_and(|n| !n.is_empty() && n.chars().all(|ch| ch.is_ascii_digit()))
}

/// The controls of an Azure built-in row that the catalogue places outside both documents
/// ("reliability; outside both documents"): no ASB or PCI id applies, so such a policy states
/// `reliability` as its only control (in metadata, `CONTROLS`, messages and the catalogue). It is
/// accepted only alone and only with an `A` row, so a `P` row still needs real control ids.
const OUTSIDE_DOCUMENTS_MARKER: &str = "reliability";

/// The string of `const CONTROLS: &'static str = "…";` (or `&str`) in the glue.
fn controls_constant(lib: &str) -> Option<String> {
    let at = lib.find("const CONTROLS")?;
    let rest = &lib[at..];
    let rest = &rest[rest.find('=')? + 1..];
    let rest = rest.trim_start().strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

// ---- 5. and 6. cases.yaml and requests/ ------------------------------------------------------

/// Policies whose rule reads nothing of the object but its name for messages, so no object is
/// malformed for them (the runtime reads `metadata` only when something needs it): instead of
/// a 400 case they need a case with a malformed request file (`requests/*malformed*`) showing
/// the verdict does not depend on it. With why.
const READS_NO_OBJECT: &[(&str, &str)] = &[
    (
        "deny-local-admin-credentials",
        "judges the requesting identity",
    ),
    (
        "deprecated-api-versions",
        "judges the request's group, version and kind",
    ),
];

/// Checks the suite and the request files; returns the top-level settings keys of the cases
/// whose settings are meant to be valid.
fn check_cases(
    p: &mut Problems,
    dir: &Path,
    pod_policy: bool,
    suite: &Value,
    request_files: &[PathBuf],
) -> BTreeSet<String> {
    let mut settings_keys = BTreeSet::new();
    let Some(cases) = suite.get("cases").and_then(Value::as_sequence) else {
        p.add("cases.yaml has no `cases` list");
        return settings_keys;
    };
    let defaults = suite.get("defaults").and_then(|d| d.get("settings"));

    let mut names = BTreeSet::new();
    let mut referenced = BTreeSet::new();
    let (mut allowed, mut rejected, mut invalid_settings) = (false, false, false);
    let (mut update, mut delete, mut ephemeral, mut code_400) = (false, false, false, false);
    let mut malformed_request = false;
    let mut kinds = BTreeSet::new();
    let mut used_defaults = false;

    for (i, case) in cases.iter().enumerate() {
        let name = case.get("name").and_then(scalar).unwrap_or_default();
        if name.trim().is_empty() {
            p.add(format!("cases.yaml case #{i} has no name"));
        } else if !names.insert(name.clone()) {
            p.add(format!("cases.yaml has two cases named {name:?}"));
        }
        let label = if name.is_empty() {
            format!("case #{i}")
        } else {
            format!("case {name:?}")
        };

        let expect = case.get("expect");
        let field = |k: &str| expect.and_then(|e| e.get(k));
        let settings_valid = !matches!(field("settingsValid"), Some(Value::Bool(false)));
        match field("allowed") {
            Some(Value::Bool(true)) => allowed = true,
            Some(Value::Bool(false)) => rejected = true,
            _ => {}
        }
        invalid_settings |= !settings_valid;
        code_400 |= field("code").and_then(Value::as_u64) == Some(400);
        malformed_request |= case
            .get("request")
            .and_then(scalar)
            .is_some_and(|r| r.contains("malformed"));
        if expect.is_none() {
            p.add(format!("cases.yaml {label} has no `expect`"));
        }

        if settings_valid {
            match case.get("settings") {
                Some(s) => settings_keys.extend(top_level_keys(s)),
                None => used_defaults = true,
            }
        }

        if let Some(cluster) = case.get("cluster").and_then(scalar)
            && !dir.join(&cluster).is_file()
        {
            p.add(format!(
                "cases.yaml {label}: cluster fixture {cluster} does not exist"
            ));
        }
        let Some(request) = case.get("request").and_then(scalar) else {
            if settings_valid {
                p.add(format!(
                    "cases.yaml {label} has no request (only a settingsValid: false case may omit it)"
                ));
            }
            continue;
        };
        let path = dir.join(&request);
        if !path.is_file() {
            p.add(format!(
                "cases.yaml {label}: request file {request} does not exist"
            ));
            continue;
        }
        referenced.insert(normalise(&path));
        let Some(req) = read(&path)
            .and_then(|t| serde_yaml::from_str::<Value>(&t).ok())
            .map(admission_request)
        else {
            continue; // reported with the request files below
        };
        if let Some(kind) = req.get("kind").and_then(|k| k.get("kind")).and_then(scalar) {
            kinds.insert(kind);
        }
        match req.get("operation").and_then(scalar).as_deref() {
            Some("UPDATE") => update = true,
            Some("DELETE") => delete = true,
            _ => {}
        }
        ephemeral |=
            req.get("subResource").and_then(scalar).as_deref() == Some("ephemeralcontainers");
    }
    if used_defaults && let Some(d) = defaults {
        settings_keys.extend(top_level_keys(d));
    }

    let mut need = |present: bool, what: &str| {
        if !present {
            p.add(format!("cases.yaml has no case {what}"));
        }
    };
    need(allowed, "with `expect.allowed: true`");
    need(rejected, "with `expect.allowed: false`");
    need(invalid_settings, "with `expect.settingsValid: false`");
    need(update, "with an UPDATE request");
    need(delete, "with a DELETE request");
    let policy = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    if READS_NO_OBJECT
        .iter()
        .any(|(id, _)| policy.as_deref() == Some(*id))
    {
        need(
            malformed_request,
            "with a malformed request file (it reads no object: READS_NO_OBJECT)",
        );
    } else {
        need(code_400, "with `expect.code: 400` (a malformed object)");
    }
    if pod_policy {
        need(
            ephemeral,
            "for the pods/ephemeralcontainers subresource (the policy routes pods)",
        );
        for kind in POD_BEARING_KINDS {
            if !kinds.contains(*kind) {
                p.add(format!(
                    "cases.yaml has no case with a {kind} request (the policy routes pods, so every pod-bearing kind is covered)"
                ));
            }
        }
    }

    // 6. Every request file is used, and is an AdmissionRequest.
    for file in request_files {
        let rel = file
            .strip_prefix(dir)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/");
        if !referenced.contains(&normalise(file)) {
            p.add(format!("{rel} is used by no case in cases.yaml"));
        }
        let Some(text) = read(file) else {
            p.add(format!("{rel} is not readable UTF-8"));
            continue;
        };
        let value = match serde_yaml::from_str::<Value>(&text) {
            Ok(v) => v,
            Err(e) => {
                p.add(format!("{rel} does not parse as YAML/JSON: {e}"));
                continue;
            }
        };
        let req = admission_request(value);
        if !req.is_mapping() {
            p.add(format!("{rel} is not an AdmissionRequest (not a mapping)"));
            continue;
        }
        for key in REQUEST_KEYS {
            if req.get(key).is_none_or(Value::is_null) {
                p.add(format!("{rel} is not an AdmissionRequest: no `{key}`"));
            }
        }
        if req.get("kind").is_some_and(|k| !k.is_null())
            && req
                .get("kind")
                .and_then(|k| k.get("kind"))
                .and_then(scalar)
                .is_none()
        {
            p.add(format!("{rel}: `kind` has no `kind` (group/version/kind)"));
        }
    }
    settings_keys
}

/// The AdmissionRequest of a request file: the file itself, or `.request` of an AdmissionReview.
fn admission_request(v: Value) -> Value {
    if v.get("kind").and_then(Value::as_str) == Some("AdmissionReview") {
        v.get("request").cloned().unwrap_or(Value::Null)
    } else {
        v
    }
}

fn top_level_keys(v: &Value) -> Vec<String> {
    v.as_mapping()
        .map(|m| m.keys().filter_map(scalar).collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

fn read(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok()
}

fn parse_yaml(p: &mut Problems, name: &str, text: &str) -> Option<Value> {
    match serde_yaml::from_str::<Value>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            p.add(format!("{name} does not parse: {e}"));
            None
        }
    }
}

/// A scalar as a string (YAML reads `1.0` as a number, `true` as a boolean).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_sequence)
        .map(|s| s.iter().filter_map(scalar).collect())
        .unwrap_or_default()
}

/// `a, b, c` as `[a, b, c]`, empty items dropped.
fn split_list(s: &str) -> Vec<&str> {
    s.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// Every file under `dir`, recursively, sorted (empty if `dir` does not exist).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.filter_map(Result::ok) {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A path without `.` components and with `..` applied, for comparing references.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// The body of the `## <title>` section of a Markdown text, up to the next `## ` heading.
fn markdown_section<'a>(text: &'a str, title: &str) -> Option<&'a str> {
    let heading = format!("## {title}");
    let mut offset = 0;
    let mut start = None;
    for line in text.split_inclusive('\n') {
        let t = line.trim_end();
        if let Some(s) = start {
            if t.starts_with("## ") || t == "##" {
                return Some(&text[s..offset]);
            }
        } else if t == heading {
            start = Some(offset + line.len());
        }
        offset += line.len();
    }
    start.map(|s| &text[s..])
}

/// The trimmed cells of a Markdown table line.
fn table_cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = t.strip_suffix('|').unwrap_or(t);
    t.split('|').map(|c| c.trim().to_owned()).collect()
}

/// `word` occurs in `text` not as part of a longer identifier.
fn contains_word(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

// ---- A reader for the TOML a Cargo manifest uses (no TOML crate among the workspace's
// ---- dependencies): tables, dotted keys, strings, arrays and inline tables.

struct TomlEntry {
    /// `package`, `dependencies`, `target.'cfg(…)'.dependencies`, `dependencies.serde`.
    section: String,
    /// `name`, `version.workspace`.
    key: String,
    /// The raw value, comments removed, possibly spanning lines.
    value: String,
}

fn toml_entries(text: &str) -> Result<Vec<TomlEntry>, String> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let line = strip_toml_comment(line);
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if let Some(header) = t.strip_prefix('[') {
            let header = header.trim_start_matches('[');
            let header = header
                .strip_suffix("]]")
                .or_else(|| header.strip_suffix(']'))
                .ok_or_else(|| format!("line {}: unterminated table header", n + 1))?;
            section = toml_key(header);
            continue;
        }
        let eq = find_outside_strings(t, '=')
            .ok_or_else(|| format!("line {}: expected `key = value`", n + 1))?;
        let key = toml_key(&t[..eq]);
        let mut value = t[eq + 1..].trim().to_owned();
        while bracket_depth(&value) > 0 {
            let Some((_, more)) = lines.next() else {
                return Err(format!("line {}: unterminated value of `{key}`", n + 1));
            };
            value.push(' ');
            value.push_str(strip_toml_comment(more).trim());
        }
        out.push(TomlEntry {
            section: section.clone(),
            key,
            value,
        });
    }
    Ok(out)
}

/// A key or table name with the whitespace around its dots removed (quoted parts kept as is).
fn toml_key(raw: &str) -> String {
    split_outside_strings(raw.trim(), '.')
        .iter()
        .map(|part| part.trim())
        .collect::<Vec<_>>()
        .join(".")
}

fn strip_toml_comment(line: &str) -> &str {
    match find_outside_strings(line, '#') {
        Some(i) => &line[..i],
        None => line,
    }
}

/// Byte index of the first `needle` outside `"…"` and `'…'` strings.
fn find_outside_strings(s: &str, needle: char) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == needle => return Some(i),
            None => {}
        }
    }
    None
}

/// `s` split at every `sep` outside strings, brackets and braces.
fn split_outside_strings(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '{' => depth += 1,
                ']' | '}' => depth -= 1,
                c if c == sep && depth == 0 => {
                    parts.push(&s[start..i]);
                    start = i + c.len_utf8();
                }
                _ => {}
            },
        }
    }
    parts.push(&s[start..]);
    parts
}

/// How many `[`/`{` of `s` are still open (outside strings).
fn bracket_depth(s: &str) -> i32 {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in s.chars() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '{' => depth += 1,
                ']' | '}' => depth -= 1,
                _ => {}
            },
        }
    }
    depth
}

/// The content of a `"…"` or `'…'` value (escapes kept as written).
fn toml_string(v: &str) -> Option<String> {
    let v = v.trim();
    ['"', '\'']
        .iter()
        .find_map(|q| v.strip_prefix(*q)?.strip_suffix(*q))
        .map(str::to_owned)
}

/// The strings of a `[…]` value.
fn toml_array(v: &str) -> Vec<String> {
    let Some(inner) = v.trim().strip_prefix('[').and_then(|s| s.strip_suffix(']')) else {
        return Vec::new();
    };
    split_outside_strings(inner, ',')
        .into_iter()
        .filter_map(toml_string)
        .collect()
}

/// The `key = value` pairs of a `{…}` value (values raw and trimmed).
fn toml_inline_table(v: &str) -> Vec<(String, String)> {
    let Some(inner) = v.trim().strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
        return Vec::new();
    };
    split_outside_strings(inner, ',')
        .into_iter()
        .filter_map(|pair| {
            let eq = find_outside_strings(pair, '=')?;
            Some((toml_key(&pair[..eq]), pair[eq + 1..].trim().to_owned()))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace-tests crate lives one level below the repository root")
        .to_path_buf()
}

/// Runs `cmd`, panicking with its output when it fails; returns its stdout.
pub(crate) fn run(what: &str, cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn report(problems: &[String]) -> String {
    format!(
        "{} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    )
}

#[test]
fn every_policy_folder_has_all_its_parts_and_its_names_agree() {
    let root = repo_root();
    let ids = policy_ids(&root);
    assert!(!ids.is_empty(), "no policies/<id>/Cargo.toml found");
    let problems: Vec<String> = ids.iter().flat_map(|id| check_policy(&root, id)).collect();
    assert!(problems.is_empty(), "{}", report(&problems));
}

#[test]
fn the_workspace_lists_every_policy() {
    let root = repo_root();
    let ids = policy_ids(&root);
    let (problems, notes) = check_workspace(&root, &ids);
    for n in notes {
        println!("note: {n}");
    }
    assert!(problems.is_empty(), "{}", report(&problems));
}

/// A scratch copy of parts of the repository, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("structure-{tag}-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&dir).expect("create the scratch directory");
        Scratch(dir)
    }

    /// Copies `policies/<id>` of the repository to `policies/<id>` here.
    fn copy_policy(&self, from: &str, to: &str) -> PathBuf {
        let src = repo_root().join("policies").join(from);
        let dst = self.0.join("policies").join(to);
        copy_dir(&src, &dst);
        dst
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).expect("create a directory of the copy");
    for e in fs::read_dir(src).expect("read the policy folder") {
        let e = e.expect("read a directory entry");
        let (from, to) = (e.path(), dst.join(e.file_name()));
        if from.is_dir() {
            copy_dir(&from, &to);
        } else {
            fs::copy(&from, &to).expect("copy a file of the policy");
        }
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).expect("read the file to break");
    assert!(
        text.contains(from),
        "{} does not contain {from:?}",
        path.display()
    );
    fs::write(path, text.replacen(from, to, 1)).expect("write the broken file");
}

fn assert_reported(problems: &[String], expected: &[&str]) {
    for e in expected {
        assert!(
            problems.iter().any(|p| p.contains(e)),
            "expected a problem containing {e:?}; got {}",
            report(problems)
        );
    }
}

const MODEL: &str = "no-privileged-containers";

#[test]
fn an_intact_copy_of_the_model_policy_passes() {
    let scratch = Scratch::new("intact");
    scratch.copy_policy(MODEL, MODEL);
    assert_eq!(policy_ids(&scratch.0), [MODEL]);
    let problems = check_policy(&scratch.0, MODEL);
    assert!(problems.is_empty(), "{}", report(&problems));
    let (problems, notes) = check_workspace(&scratch.0, &[MODEL.to_owned()]);
    assert!(problems.is_empty(), "{}", report(&problems));
    assert!(
        notes.iter().any(|n| n.contains("README.md does not exist")),
        "{notes:?}"
    );
}

#[test]
fn a_wrong_crate_name_and_a_missing_readme_are_reported() {
    let scratch = Scratch::new("renamed");
    let dir = scratch.copy_policy(MODEL, MODEL);
    edit(
        &dir.join("Cargo.toml"),
        &format!("name = \"{MODEL}\""),
        "name = \"privileged-containers\"",
    );
    fs::remove_file(dir.join("README.md")).unwrap();

    let problems = check_policy(&scratch.0, MODEL);
    assert_reported(
        &problems,
        &[
            "no-privileged-containers: Cargo.toml [package] name is \"privileged-containers\", not the folder name \"no-privileged-containers\"",
            "no-privileged-containers: README.md is missing",
        ],
    );
    assert_eq!(problems.len(), 2, "{}", report(&problems));
}

#[test]
fn every_kind_of_breakage_is_reported_and_names_the_policy() {
    let scratch = Scratch::new("broken");
    let id = "broken-copy";
    let dir = scratch.copy_policy(MODEL, id);

    // Cargo.toml: name, version, crate-type and a version string among the dependencies.
    let cargo = dir.join("Cargo.toml");
    edit(&cargo, "version = \"0.1.0\"", "version.workspace = true");
    edit(&cargo, "\"cdylib\", ", "");
    edit(&cargo, "serde = { workspace = true }", "serde = \"1\"");
    // metadata.yml: an unknown key, the ephemeral-containers rule gone, annotations off.
    let meta = dir.join("metadata.yml");
    edit(&meta, "mutating: false", "mutating: false\nfrobnicate: 1");
    edit(&meta, "pods/ephemeralcontainers", "pods/log");
    edit(
        &meta,
        "executionMode: kubewarden-wapc",
        "executionMode: wasi",
    );
    edit(&meta, "ASB 7.3, PCI 7.1.2", "ASB 7.3, PCI 9.9.9, Fedramp 1");
    edit(&meta, "catalogue-row: P01", "catalogue-row: row1");
    edit(&meta, "  io.kubewarden.policy.license: Apache-2.0\n", "");
    edit(
        &meta,
        &format!("policies/{MODEL}\n"),
        "policies/something-else\n",
    );
    // cases.yaml: a duplicate name, a missing request, a dead fixture, no CronJob case,
    // no invalid-settings case, an undocumented settings key.
    let cases = dir.join("cases.yaml");
    edit(
        &cases,
        "- name: privileged container in a Pod is rejected",
        "- name: compliant Pod is accepted",
    );
    edit(
        &cases,
        "requests/create-job-compliant.yaml",
        "requests/create-job-nowhere.yaml",
    );
    let cases_text = fs::read_to_string(&cases).unwrap();
    let cases_text = cases_text
        .replace("requests/create-cronjob-", "requests/create-job-")
        .replace("settingsValid: false", "allowed: true")
        .replacen(
            "  settings:\n    exemptions:\n      users:",
            "  settings:\n    skipThis: true\n    exemptions:\n      users:",
            1,
        );
    fs::write(&cases, cases_text).unwrap();
    // A request that is not an AdmissionRequest.
    fs::write(
        dir.join("requests/extra.yaml"),
        "kind: Pod\nmetadata: {name: x}\n",
    )
    .unwrap();
    // README: title and the settings section.
    let readme = dir.join("README.md");
    edit(&readme, &format!("# {MODEL}"), "# the wrong title");
    edit(&readme, "## Settings", "## Configuration");
    // src/lib.rs: CONTROLS out of step.
    edit(
        &dir.join("src/lib.rs"),
        "\"ASB 7.3, PCI 7.1.2, PCI 7.2.1\"",
        "\"ASB 7.3\"",
    );

    let problems = check_policy(&scratch.0, id);
    assert_reported(
        &problems,
        &[
            "Cargo.toml [package] name is \"no-privileged-containers\", not the folder name \"broken-copy\"",
            "Cargo.toml [package] version is inherited from the workspace",
            "crate-type does not include \"cdylib\"",
            "Cargo.toml [dependencies] `serde` does not use `workspace = true`",
            "metadata.yml has an unknown top-level key `frobnicate`",
            "routes pods CREATE but not pods/ephemeralcontainers UPDATE",
            "executionMode is Some(\"wasi\")",
            "io.kubewarden.policy.title is \"no-privileged-containers\", not \"broken-copy\"",
            "ociUrl \"ghcr.io/aks-baseline-policies/policies/something-else\" does not end in /broken-copy",
            "\"Fedramp 1\" is not a control id",
            "catalogue-row \"row1\" is not a catalogue row",
            "lacks the annotation `io.kubewarden.policy.license`",
            "README.md does not mention control `PCI 9.9.9`",
            "src/lib.rs CONTROLS is \"ASB 7.3\" but metadata.yml",
            "cases.yaml has two cases named \"compliant Pod is accepted\"",
            "request file requests/create-job-nowhere.yaml does not exist",
            "requests/create-cronjob-compliant.yaml is used by no case",
            "requests/extra.yaml is used by no case",
            "requests/extra.yaml is not an AdmissionRequest: no `uid`",
            "requests/extra.yaml is not an AdmissionRequest: no `operation`",
            "cases.yaml has no case with a CronJob request",
            "cases.yaml has no case with `expect.settingsValid: false`",
            "README.md does not start with the title `# broken-copy`",
            "README.md has no `## Settings` section",
        ],
    );
    assert!(
        problems.iter().all(|p| p.starts_with("broken-copy: ")),
        "{}",
        report(&problems)
    );

    // Without the settings section renamed, the undocumented key is the one named.
    edit(&readme, "## Configuration", "## Settings");
    let problems = check_policy(&scratch.0, id);
    assert_reported(
        &problems,
        &["does not document the settings key `skipThis` used in cases.yaml"],
    );
    assert!(
        !problems.iter().any(|p| p.contains("key `exemptions`")),
        "{}",
        report(&problems)
    );
}

#[test]
fn the_workspace_checks_report_a_missing_catalogue_row_and_artifacthub_package() {
    let scratch = Scratch::new("workspace");
    scratch.copy_policy(MODEL, MODEL);
    scratch.copy_policy(MODEL, "second");
    let ids = [MODEL.to_owned(), "second".to_owned()];
    fs::write(
        scratch.0.join("README.md"),
        "# x\n\n## Catalogue\n\n| policy | row | controls |\n|---|---|---|\n\
         | [`no-privileged-containers`](policies/no-privileged-containers/README.md) | P02 | ASB 7.3, PCI 7.1.2, PCI 7.2.1 |\n\n## Next\n\n`second`\n",
    )
    .unwrap();
    let pkg = scratch.0.join("artifacthub").join(MODEL);
    fs::create_dir_all(&pkg).unwrap();
    fs::write(
        pkg.join("artifacthub-pkg.yml"),
        "version: 0.0.9\nname: no-privileged-containers\n",
    )
    .unwrap();
    fs::create_dir_all(scratch.0.join("artifacthub/gone")).unwrap();

    let (problems, _) = check_workspace(&scratch.0, &ids);
    assert_reported(
        &problems,
        &[
            "README.md: the catalogue table has no row for `second`",
            "README.md: the catalogue row of `no-privileged-containers` does not give its catalogue row P01",
            "no-privileged-containers: artifacthub/no-privileged-containers/artifacthub-pkg.yml version is Some(\"0.0.9\") but Cargo.toml says \"0.1.0\"",
            "second: artifacthub/second/artifacthub-pkg.yml is missing",
            "artifacthub/gone/ belongs to no policy",
        ],
    );
    assert_eq!(problems.len(), 5, "{}", report(&problems));
}

#[test]
fn azure_builtin_rows_and_the_outside_documents_marker() {
    assert!(is_catalogue_row("P01") && is_catalogue_row("A13") && is_catalogue_row("A5"));
    assert!(!is_catalogue_row("A") && !is_catalogue_row("P1") && !is_catalogue_row("B12"));
    let meta = |row: &str, controls: &str| {
        let text = format!(
            "annotations:\n  io.aks-baseline-policies/catalogue-row: {row}\n  io.aks-baseline-policies/controls: {controls}\n"
        );
        let v: Value = serde_yaml::from_str(&text).unwrap();
        let mut p = Problems::new("x");
        check_metadata(&mut p, "x", None, &v);
        p.list
            .into_iter()
            .filter(|m| m.contains("is not a control id"))
            .count()
    };
    assert_eq!(meta("A25", "reliability"), 0);
    assert_eq!(meta("P47", "reliability"), 1);
    assert_eq!(meta("A25", "reliability, ASB 7.3"), 1);
    assert_eq!(meta("A25", "ASB 7.3"), 0);
}

#[test]
fn the_toml_reader_understands_the_manifest_forms() {
    let text = r#"
[package]
name = "x" # a comment
version = "1.2.3"

[lib]
crate-type = [
  "rlib",   # first
  "cdylib",
]

[dependencies]
a = { workspace = true, features = ["f"] }
b.workspace = true
c = "1"

[dependencies.d]
workspace = true

[dependencies.e]
version = "2"

[target.'cfg(target_arch = "wasm32")'.dev-dependencies]
f = { version = "3", optional = true }
"#;
    let mut p = Problems::new("x");
    let version = check_cargo_toml(&mut p, "x", text);
    assert_eq!(version.as_deref(), Some("1.2.3"));
    let problems = p.list;
    assert_reported(
        &problems,
        &[
            "[dependencies] `c` does not use",
            "[dependencies] `e` does not use",
            "[target.'cfg(target_arch = \"wasm32\")'.dev-dependencies] `f` does not use",
        ],
    );
    assert_eq!(problems.len(), 3, "{}", report(&problems));
}

#[test]
fn a_second_json_reader_in_module_code_is_reported() {
    let scratch = Scratch::new("second-reader");
    let id = "second-reader";
    let dir = scratch.copy_policy(MODEL, id);
    let lib = dir.join("src/lib.rs");
    let text = fs::read_to_string(&lib).unwrap();
    fs::write(
        &lib,
        format!(
            "fn peek(t: &str) -> bool {{\n    serde_json::from_str::<u8>(t).is_ok() // a second reader\n}}\n{text}\n#[cfg(test)]\nmod extra {{\n    fn ok(t: &str) {{\n        let _ = serde_json::from_str::<u8>(t);\n    }}\n}}\n"
        ),
    )
    .unwrap();
    let problems = check_policy(&scratch.0, id);
    assert_reported(
        &problems,
        &["src/lib.rs: line 2: `serde_json::from_str` links serde_json's reader into the module"],
    );
    assert_eq!(
        problems.iter().filter(|p| p.contains("serde_json")).count(),
        1,
        "{}",
        report(&problems)
    );
    assert!(
        second_reader_uses(
            "// serde_json::from_str in a comment\nlet v = policy_helpers::json::value(t);"
        )
        .is_empty()
    );
}

#[test]
fn the_shared_helpers_read_json_with_the_modules_reader_only() {
    let root = repo_root();
    let mut problems = Vec::new();
    for file in files_under(&root.join("crates/policy-helpers/src")) {
        let text = fs::read_to_string(&file).unwrap();
        for problem in second_reader_uses(&text) {
            problems.push(format!("{}: {problem}", file.display()));
        }
    }
    assert!(problems.is_empty(), "{}", report(&problems));
}

#[test]
fn one_feature_set_for_every_harness_invocation() {
    let root = repo_root();
    let resolved: Vec<(&str, BTreeMap<String, BTreeSet<String>>)> = features::INVOCATIONS
        .iter()
        .map(|(name, selection)| {
            (
                *name,
                features::resolution(&features::tree(&root, selection)),
            )
        })
        .collect();
    let mut problems = Vec::new();
    for (i, (a_name, a)) in resolved.iter().enumerate() {
        for (b_name, b) in &resolved[i + 1..] {
            problems.extend(features::differences((a_name, a), (b_name, b)));
        }
    }
    assert!(
        problems.is_empty(),
        "these dependencies are resolved with different features by different invocations, so \
         target/harness builds them (and everything above them) more than once; add the union \
         to crates/workspace-hack/Cargo.toml:\n{}",
        report(&problems)
    );
}

#[test]
fn a_feature_difference_between_invocations_is_reported() {
    let a = features::resolution("serde v1.0.0 [default,std]\nhost-test v0.1.0 (/x) []\n");
    let b = features::resolution("serde v1.0.0 [default,derive,std]\nonly-here v2.0.0 [x]\n");
    let found = features::differences(("make harness", &a), ("make test-rust", &b));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("serde v1.0.0: make harness builds it with"),
        "{found:?}"
    );
    assert!(features::differences(("a", &a), ("a", &a)).is_empty());
}
