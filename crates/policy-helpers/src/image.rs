//! Image reference parsing and image patterns.
//!
//! References are normalised the way the container runtime resolves them: a first path
//! component that has no `.` or `:` and is not `localhost` is not a registry, so the registry is
//! `docker.io`; single-segment Docker Hub names get `library/`; `index.docker.io` and
//! `registry-1.docker.io` are `docker.io`; a missing tag (and no digest) means `latest`.

use crate::prelude::*;
use core::fmt;

use crate::glob::Glob;

/// Longest image reference read; longer ones are invalid.
pub const MAX_REFERENCE_LEN: usize = 4096;

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host, with port if any, lower-cased (e.g. `myacr.azurecr.io`, `docker.io`).
    pub registry: String,
    /// Repository path (e.g. `library/nginx`).
    pub repository: String,
    /// Tag as written, if any.
    pub tag: Option<String>,
    /// Digest as written (`sha256:…`), if any.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses and normalises `reference`.
    ///
    /// # Errors
    /// A message saying why the reference is not a valid image reference.
    pub fn parse(reference: &str) -> Result<ImageRef, String> {
        if reference.is_empty() {
            return Err("empty image reference".into());
        }
        if reference.len() > MAX_REFERENCE_LEN {
            return Err(format!(
                "image reference longer than {MAX_REFERENCE_LEN} characters"
            ));
        }
        if has_white_space(reference) {
            return Err("image reference contains white space".into());
        }
        let (name_tag, digest) = match reference.split_once('@') {
            Some((n, d)) => {
                validate_digest(d)?;
                (n, Some(d.to_string()))
            }
            None => (reference, None),
        };
        let (name, tag) = split_tag(name_tag);
        let tag = match tag {
            Some(t) => {
                validate_tag(t)?;
                Some(t.to_string())
            }
            None => None,
        };
        if name.is_empty() {
            return Err("image reference has no repository".into());
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_ascii_lowercase(), rest.to_string())
            }
            _ => ("docker.io".to_string(), name.to_string()),
        };
        let registry = canonical_registry(registry);
        validate_registry(&registry)?;
        validate_repository(&repository)?;
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        Ok(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// `registry/repository`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The tag the runtime pulls: the written tag, or `latest` when neither tag nor digest is
    /// given. `None` for a digest-only reference.
    pub fn effective_tag(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Whether `s` holds white space (as `char::is_whitespace` reads it).
fn has_white_space(s: &str) -> bool {
    s.chars().any(char::is_whitespace)
}

/// Docker Hub's other names read as `docker.io` (`registry` already lower-cased).
fn canonical_registry(registry: String) -> String {
    match registry.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_string()
        }
        _ => registry,
    }
}

/// `NAME[:TAG]` split at the tag's colon, the last `:` after the last `/` (a registry port's
/// colon comes before a `/`). The cuts are next to `/` and `:` (ASCII), so on character
/// boundaries; `get` keeps the slicing panic out of the modules.
fn split_tag(name_tag: &str) -> (&str, Option<&str>) {
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let cut = |from: usize, to: usize| name_tag.get(from..to).unwrap_or_default();
    match cut(last_slash, name_tag.len()).rfind(':') {
        Some(i) => (
            cut(0, last_slash + i),
            Some(cut(last_slash + i + 1, name_tag.len())),
        ),
        None => (name_tag, None),
    }
}

fn validate_digest(d: &str) -> Result<(), String> {
    let (alg, hex) = d
        .split_once(':')
        .ok_or_else(|| format!("digest {d:?} is not algorithm:hex"))?;
    let alg_ok = !alg.is_empty()
        && alg
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"+._-".contains(&c));
    let hex_ok = hex.len() >= 32 && hex.bytes().all(|c| c.is_ascii_hexdigit());
    if !alg_ok || !hex_ok {
        return Err(format!("digest {d:?} is not valid"));
    }
    if alg == "sha256" && (hex.len() != 64 || hex.bytes().any(|c| c.is_ascii_uppercase())) {
        return Err(format!(
            "sha256 digest {d:?} must be 64 lower-case hex digits"
        ));
    }
    Ok(())
}

fn validate_tag(t: &str) -> Result<(), String> {
    let b = t.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!("tag {t:?} is not valid"))
    }
}

fn validate_registry(r: &str) -> Result<(), String> {
    let (host, port) = match r.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (r, None),
    };
    if let Some(p) = port
        && (p.is_empty() || p.len() > 5 || !p.bytes().all(|c| c.is_ascii_digit()))
    {
        return Err(format!("registry port in {r:?} is not valid"));
    }
    let ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!("registry {r:?} is not a valid host name"))
    }
}

fn validate_repository(repo: &str) -> Result<(), String> {
    for comp in repo.split('/') {
        let b = comp.as_bytes();
        let ok = !b.is_empty()
            && b[0].is_ascii_lowercase() | b[0].is_ascii_digit()
            && b[b.len() - 1].is_ascii_lowercase() | b[b.len() - 1].is_ascii_digit()
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(c))
            && !crate::glob::has(comp, b"..");
        if !ok {
            return Err(format!(
                "repository component {comp:?} is not valid (lower-case letters, digits and . _ - only)"
            ));
        }
    }
    Ok(())
}

/// Normalises a registry host as written in settings (`MyACR.azurecr.io` → `myacr.azurecr.io`,
/// `index.docker.io` → `docker.io`). A leading `*.` label is allowed (`*.azurecr.io`).
///
/// # Errors
/// A message when it is not a host name with an optional port.
pub fn normalise_registry(registry: &str) -> Result<String, String> {
    let lower = canonical_registry(registry.to_ascii_lowercase());
    let check = lower.strip_prefix("*.").unwrap_or(&lower);
    if check.contains('*') || check.contains('/') {
        return Err(format!(
            "registry {registry:?} must be a host name with an optional port (only a leading `*.` is allowed)"
        ));
    }
    validate_registry(check)?;
    Ok(lower)
}

/// Why a pattern is refused: what it is (`has no name`), or a reason of its parts.
enum PatternError {
    Is(&'static str),
    Because(String),
}

/// A pattern over image references, exact or glob, tag and digest aware.
///
/// Written like a reference: `NAME[:TAG][@DIGEST]`, where `NAME` and `TAG` may use `*` (no `/`)
/// and `**` (any). `NAME` is normalised like a reference (`nginx` is
/// `docker.io/library/nginx`). Without a tag or digest the pattern matches every tag and digest
/// of the names it matches; with a tag it matches that tag (an image without tag or digest has
/// tag `latest`); with a digest it matches that digest only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePattern {
    source: String,
    name: Glob,
    tag: Option<Glob>,
    digest: Option<String>,
}

impl ImagePattern {
    /// Compiles `pattern`.
    ///
    /// # Errors
    /// A message naming what is wrong with the pattern.
    pub fn new(pattern: &str) -> Result<ImagePattern, String> {
        if pattern.is_empty() {
            return Err("empty image pattern".into());
        }
        Self::compile(pattern).map_err(|e| match e {
            PatternError::Is(what) => format!("image pattern {pattern:?} {what}"),
            PatternError::Because(reason) => format!("image pattern {pattern:?}: {reason}"),
        })
    }

    /// [`ImagePattern::new`] of a non-empty pattern, its error without the pattern: one place
    /// writes the pattern into every message.
    fn compile(pattern: &str) -> Result<ImagePattern, PatternError> {
        if has_white_space(pattern) {
            return Err(PatternError::Is("contains white space"));
        }
        let (name_tag, digest) = match pattern.split_once('@') {
            Some((n, d)) => {
                validate_digest(d).map_err(PatternError::Because)?;
                (n, Some(d.to_string()))
            }
            None => (pattern, None),
        };
        let (name, tag) = split_tag(name_tag);
        if name.is_empty() {
            return Err(PatternError::Is("has no name"));
        }
        let normalised = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.')
                    || first.contains(':')
                    || first == "localhost"
                    || first.contains('*') =>
            {
                let reg = canonical_registry(first.to_ascii_lowercase());
                if reg == "docker.io" && !rest.contains('/') && !crate::glob::has(rest, b"**") {
                    format!("docker.io/library/{rest}")
                } else {
                    format!("{reg}/{rest}")
                }
            }
            Some(_) => format!("docker.io/{name}"),
            None if name == "**" => name.to_string(),
            None => format!("docker.io/library/{name}"),
        };
        let name = Glob::new(&normalised).map_err(PatternError::Because)?;
        let tag = match tag {
            Some("") => {
                return Err(PatternError::Is("has an empty tag"));
            }
            Some(t) => Some(Glob::new(t).map_err(PatternError::Because)?),
            None => None,
        };
        Ok(ImagePattern {
            source: pattern.to_string(),
            name,
            tag,
            digest,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `image` matches.
    pub fn matches(&self, image: &ImageRef) -> bool {
        if !self.name.matches(&image.name()) {
            return false;
        }
        if let Some(t) = &self.tag {
            match image.effective_tag() {
                Some(it) if t.matches(it) => {}
                _ => return false,
            }
        }
        if let Some(d) = &self.digest
            && image.digest.as_deref() != Some(d.as_str())
        {
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn p(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap()
    }

    #[test]
    fn normalises_docker_hub() {
        for s in [
            "nginx",
            "docker.io/nginx",
            "index.docker.io/library/nginx",
            "docker.io/library/nginx:latest",
        ] {
            let r = p(s);
            assert_eq!(r.name(), "docker.io/library/nginx", "{s}");
            assert_eq!(r.effective_tag(), Some("latest"));
        }
        assert_eq!(p("bitnami/redis:7").name(), "docker.io/bitnami/redis");
    }

    #[test]
    fn registries_ports_tags_digests() {
        let r = p("myacr.azurecr.io:5000/team/app:1.2");
        assert_eq!(r.registry, "myacr.azurecr.io:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        let r = p(&format!("localhost/app@{D}"));
        assert_eq!(r.registry, "localhost");
        assert_eq!(r.effective_tag(), None);
        assert_eq!(r.digest.as_deref(), Some(D));
        let r = p("MyACR.AzureCR.io/app");
        assert_eq!(r.registry, "myacr.azurecr.io");
    }

    #[test]
    fn rejects_invalid_references() {
        for s in [
            "",
            " nginx",
            "Nginx",
            "nginx:",
            "nginx@sha256:abc",
            "reg.io/",
            "reg.io:abc/app",
            "a/../b",
            "-bad.io/app",
        ] {
            assert!(ImageRef::parse(s).is_err(), "{s:?} should be invalid");
        }
    }

    #[test]
    fn patterns() {
        let pat = ImagePattern::new("myacr.azurecr.io/**").unwrap();
        assert!(pat.matches(&p("myacr.azurecr.io/team/app:1")));
        assert!(!pat.matches(&p("myacr.azurecr.io.evil.example/app")));
        assert!(!pat.matches(&p("evil.example/myacr.azurecr.io/app")));
        let pat = ImagePattern::new("nginx").unwrap();
        assert!(pat.matches(&p("docker.io/library/nginx:1.25")));
        let pat = ImagePattern::new("nginx:latest").unwrap();
        assert!(pat.matches(&p("nginx")));
        assert!(!pat.matches(&p("nginx:1.25")));
        assert!(!pat.matches(&p(&format!("nginx@{D}"))));
        let pat = ImagePattern::new(&format!("nginx@{D}")).unwrap();
        assert!(pat.matches(&p(&format!("index.docker.io/nginx:1@{D}"))));
        assert!(!pat.matches(&p("nginx:1")));
        let pat = ImagePattern::new("mcr.microsoft.com/oss/*:v1.*").unwrap();
        assert!(pat.matches(&p("mcr.microsoft.com/oss/pause:v1.2")));
        assert!(!pat.matches(&p("mcr.microsoft.com/oss/a/pause:v1.2")));
        assert!(ImagePattern::new("nginx:").is_err());
        assert!(ImagePattern::new("").is_err());
    }
}
