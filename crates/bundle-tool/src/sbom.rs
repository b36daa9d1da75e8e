//! One CycloneDX 1.5 SBOM per module, written with the `cyclonedx-bom` library.
//!
//! The graph is what cargo builds for that module: `cargo tree -e normal --target wasm32-wasip1
//! -p <id>` (the module's own feature resolution, normal dependencies only, for the engine's
//! target; build scripts and dev-dependencies are not in the module). Each crate becomes a
//! `library` component with its version, its `license` expression from its manifest, its
//! package URL (`pkg:cargo/<name>@<version>`) and, for registry crates, the SHA-256 checksum
//! Cargo.lock pins; workspace crates (no checksum) carry the property `cargo:source=workspace`.
//! The `dependencies` section repeats the edges of the tree. The module itself is the metadata
//! component, with the SHA-256 of the annotated `dist/<id>.wasm`.
//!
//! No timestamp and no random serial number: the same commit gives the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use cyclonedx_bom::models::component::Classification;
use cyclonedx_bom::models::dependency::{Dependencies, Dependency};
use cyclonedx_bom::models::hash::{Hash, HashAlgorithm, HashValue, Hashes};
use cyclonedx_bom::models::license::{LicenseChoice, Licenses};
use cyclonedx_bom::models::property::{Properties, Property};
use cyclonedx_bom::prelude::{
    Bom, Component, Components, Metadata, NormalizedString, Purl, SpdxExpression, SpecVersion,
    Validate,
};
use sha2::{Digest, Sha256};

/// The target the modules are built for.
pub const TARGET: &str = "wasm32-wasip1";
/// Media type of an SBOM pushed beside a module (cosign's for CycloneDX JSON).
pub const MEDIA_TYPE: &str = "application/vnd.cyclonedx+json";

/// One crate of the module's dependency tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Crate {
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// The manifest's `license` expression, if any.
    pub license: Option<String>,
    /// Whether it is a procedural macro (runs in the compiler, not in the module).
    pub proc_macro: bool,
}

impl Crate {
    /// `name@version`, the component's `bom-ref`.
    #[must_use]
    pub fn key(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// The dependency tree of one policy crate: its crates (the root first) and direct edges.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// The root crate (the policy).
    pub root: Option<Crate>,
    /// Every crate but the root, by key.
    pub crates: BTreeMap<String, Crate>,
    /// Direct dependencies by key (the root included).
    pub edges: BTreeMap<String, BTreeSet<String>>,
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs `cargo tree` for one policy and reads the tree.
///
/// # Errors
/// When cargo fails (unknown package, lock file out of date) or prints something unexpected.
pub fn tree(root: &Path, id: &str) -> Result<Tree> {
    let out = Command::new(cargo())
        .current_dir(root)
        .args([
            "tree", "--locked", "-e", "normal", "--target", TARGET, "-p", id,
        ])
        .args(["--no-dedupe", "--prefix", "depth", "--format", "{p}\t{l}"])
        .output()
        .context("running cargo tree")?;
    if !out.status.success() {
        bail!(
            "cargo tree -p {id} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    parse_tree(&String::from_utf8_lossy(&out.stdout))
}

/// Reads `cargo tree --prefix depth --format "{p}\t{l}"` output: each line is the depth, the
/// package (`name vX.Y.Z`, maybe followed by ` (path)` or ` (proc-macro)`), a tab and the
/// licence (empty when the manifest has none).
///
/// # Errors
/// On a line that does not have that shape.
pub fn parse_tree(text: &str) -> Result<Tree> {
    let mut tree = Tree::default();
    let mut stack: Vec<String> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        let depth: usize = line[..digits]
            .parse()
            .with_context(|| format!("cargo tree line without depth: {line:?}"))?;
        let (package, license) = line[digits..]
            .split_once('\t')
            .unwrap_or((&line[digits..], ""));
        let mut words = package.split_whitespace();
        let (Some(name), Some(version)) = (words.next(), words.next()) else {
            bail!("unexpected cargo tree line: {line:?}");
        };
        let Some(version) = version.strip_prefix('v') else {
            bail!("unexpected cargo tree version in {line:?}");
        };
        let proc_macro = package.contains("(proc-macro)");
        let license = Some(license.trim())
            .filter(|l| !l.is_empty())
            .map(str::to_owned);
        let c = Crate {
            name: name.to_owned(),
            version: version.to_owned(),
            license,
            proc_macro,
        };
        let key = c.key();
        if depth == 0 {
            if tree.root.is_some() {
                bail!("cargo tree printed more than one root");
            }
            tree.root = Some(c);
        } else {
            let parent = stack
                .get(depth - 1)
                .with_context(|| format!("cargo tree line deeper than its parent: {line:?}"))?;
            tree.edges
                .entry(parent.clone())
                .or_default()
                .insert(key.clone());
            tree.crates.insert(key.clone(), c);
        }
        stack.truncate(depth);
        stack.push(key.clone());
        tree.edges.entry(key).or_default();
    }
    if tree.root.is_none() {
        bail!("cargo tree printed nothing");
    }
    Ok(tree)
}

/// The `checksum` of every registry package in Cargo.lock, by `name@version`.
///
/// # Errors
/// When the lock file is unreadable or not TOML.
pub fn lock_checksums(root: &Path) -> Result<BTreeMap<String, String>> {
    let path = root.join("Cargo.lock");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let lock: toml::Value = toml::from_str(&text).context("Cargo.lock is not TOML")?;
    let mut out = BTreeMap::new();
    for p in lock
        .get("package")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(n), Some(v), Some(c)) = (
            p.get("name").and_then(toml::Value::as_str),
            p.get("version").and_then(toml::Value::as_str),
            p.get("checksum").and_then(toml::Value::as_str),
        ) {
            out.insert(format!("{n}@{v}"), c.to_owned());
        }
    }
    Ok(out)
}

fn sha256_hashes(hex: &str) -> Hashes {
    Hashes(vec![Hash {
        alg: HashAlgorithm::SHA_256,
        content: HashValue(hex.to_owned()),
    }])
}

fn component(c: &Crate, checksums: &BTreeMap<String, String>) -> Result<Component> {
    let mut comp = Component::new(Classification::Library, &c.name, &c.version, Some(c.key()));
    comp.purl = Some(
        Purl::new("cargo", &c.name, &c.version)
            .with_context(|| format!("package URL of {}", c.key()))?,
    );
    if let Some(l) = &c.license {
        // Cargo manifests write "MIT/Apache-2.0" in old crates: the lax parse reads it as SPDX.
        let expr = SpdxExpression::parse_lax(l.clone()).unwrap_or_else(|_| SpdxExpression::new(l));
        comp.licenses = Some(Licenses(vec![LicenseChoice::Expression(expr)]));
    }
    let mut props = Vec::new();
    match checksums.get(&c.key()) {
        Some(sum) => comp.hashes = Some(sha256_hashes(sum)),
        None => props.push(Property {
            name: "cargo:source".into(),
            value: NormalizedString::new("workspace"),
        }),
    }
    if c.proc_macro {
        props.push(Property {
            name: "cargo:kind".into(),
            value: NormalizedString::new("proc-macro"),
        });
    }
    if !props.is_empty() {
        comp.properties = Some(Properties(props));
    }
    Ok(comp)
}

/// The SBOM of the annotated module `wasm` of policy `id`, as CycloneDX 1.5 JSON.
///
/// # Errors
/// When cargo tree or Cargo.lock cannot be read, or the library finds the document invalid.
pub fn generate(root: &Path, id: &str, wasm: &[u8]) -> Result<Vec<u8>> {
    let tree = tree(root, id)?;
    let checksums = lock_checksums(root)?;
    build(&tree, &checksums, wasm)
}

/// The SBOM of a read tree (see [`generate`]).
///
/// # Errors
/// When the library finds the document invalid.
pub fn build(tree: &Tree, checksums: &BTreeMap<String, String>, wasm: &[u8]) -> Result<Vec<u8>> {
    let root = tree.root.as_ref().context("empty tree")?;
    let mut module = Component::new(
        Classification::Application,
        &root.name,
        &root.version,
        Some(root.key()),
    );
    module.description = Some(NormalizedString::new(&format!(
        "Kubewarden policy module {}.wasm ({TARGET}, annotated)",
        root.name
    )));
    module.hashes = Some(sha256_hashes(&hex(&Sha256::digest(wasm))));
    if let Some(l) = &root.license {
        module.licenses = Some(Licenses(vec![LicenseChoice::Expression(
            SpdxExpression::new(l),
        )]));
    }
    let components = tree
        .crates
        .values()
        .map(|c| component(c, checksums))
        .collect::<Result<Vec<_>>>()?;
    let dependencies = tree
        .edges
        .iter()
        .map(|(k, deps)| Dependency {
            dependency_ref: k.clone(),
            dependencies: deps.iter().cloned().collect(),
        })
        .collect();
    let bom = Bom {
        serial_number: None,
        metadata: Some(Metadata {
            component: Some(module),
            ..Metadata::default()
        }),
        components: Some(Components(components)),
        dependencies: Some(Dependencies(dependencies)),
        spec_version: SpecVersion::V1_5,
        ..Bom::default()
    };
    let check = bom.validate_version(SpecVersion::V1_5);
    if !check.passed() {
        bail!(
            "the SBOM of {} is not valid CycloneDX 1.5: {check:?}",
            root.name
        );
    }
    let mut out = Vec::new();
    bom.output_as_json_v1_5(&mut out)
        .context("writing the SBOM")?;
    // Re-serialise pretty (stable key order from the library's structs) with a final newline.
    let value: serde_json::Value = serde_json::from_slice(&out).context("reading back the SBOM")?;
    let mut pretty = serde_json::to_vec_pretty(&value)?;
    pretty.push(b'\n');
    Ok(pretty)
}

/// Lower-case hex of bytes.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = "0demo v0.1.0 (/src/policies/demo)\tApache-2.0\n1helpers v0.1.0 (/src/crates/helpers)\tApache-2.0\n2serde v1.0.1\tMIT OR Apache-2.0\n3serde_derive v1.0.1 (proc-macro)\tMIT OR Apache-2.0\n1serde v1.0.1\tMIT OR Apache-2.0\n2serde_derive v1.0.1 (proc-macro)\tMIT OR Apache-2.0\n1oldcrate v0.2.0\tMIT/Apache-2.0\n1nolicence v1.0.0\t\n";

    #[test]
    fn the_tree_is_read_with_edges_and_no_paths() {
        let t = parse_tree(TREE).unwrap();
        assert_eq!(t.root.as_ref().unwrap().key(), "demo@0.1.0");
        let keys: Vec<&str> = t.crates.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "helpers@0.1.0",
                "nolicence@1.0.0",
                "oldcrate@0.2.0",
                "serde@1.0.1",
                "serde_derive@1.0.1"
            ]
        );
        assert_eq!(t.edges["demo@0.1.0"].len(), 4);
        assert_eq!(
            t.edges["serde@1.0.1"].iter().collect::<Vec<_>>(),
            ["serde_derive@1.0.1"]
        );
        assert!(t.crates["serde_derive@1.0.1"].proc_macro);
        assert_eq!(t.crates["nolicence@1.0.0"].license, None);
        assert!(parse_tree("").is_err());
        assert!(parse_tree("x\n").is_err());
        assert!(parse_tree("0a v1\n2b v1\n").is_err());
    }

    #[test]
    fn the_sbom_is_deterministic_and_carries_checksums_and_licences() {
        let t = parse_tree(TREE).unwrap();
        let sums: BTreeMap<String, String> = [("serde@1.0.1".to_owned(), "ab".repeat(32))].into();
        let a = build(&t, &sums, b"\0asm").unwrap();
        assert_eq!(a, build(&t, &sums, b"\0asm").unwrap());
        let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
        assert_eq!(v["bomFormat"], "CycloneDX");
        assert_eq!(v["specVersion"], "1.5");
        assert!(v.get("serialNumber").is_none());
        assert!(v["metadata"].get("timestamp").is_none());
        let comps = v["components"].as_array().unwrap();
        let serde = comps.iter().find(|c| c["name"] == "serde").unwrap();
        assert_eq!(serde["hashes"][0]["content"], "ab".repeat(32));
        assert_eq!(serde["purl"], "pkg:cargo/serde@1.0.1");
        assert_eq!(serde["licenses"][0]["expression"], "MIT OR Apache-2.0");
        let helpers = comps.iter().find(|c| c["name"] == "helpers").unwrap();
        assert!(helpers.get("hashes").is_none());
        assert!(!String::from_utf8_lossy(&a).contains("/src/"));
        assert_eq!(
            v["metadata"]["component"]["hashes"][0]["content"],
            hex(&Sha256::digest(b"\0asm"))
        );
    }
}
