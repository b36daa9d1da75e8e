//! Host paths (`hostPath.path`, `PersistentVolume` host paths): normalisation and comparison
//! by path component.
//!
//! A path is compared component by component, never as a string prefix: `/data` covers
//! `/data` and `/data/x`, not `/data2`. [`normalise`] collapses duplicate slashes, drops `.`
//! components and a trailing slash, and refuses relative paths and `..` components: `..` cannot
//! be resolved without the node's file system (a symlink on the host changes where it leads),
//! so a path holding one is never taken to be under a prefix.

use crate::glob::Glob;
use crate::prelude::*;

/// The normal form of an absolute path: `/` followed by its non-empty components other than
/// `.`, joined by `/` (`//var/./log/` is `/var/log`).
///
/// # Errors
/// The path is empty, relative, or has a `..` component; the message says which.
pub fn normalise(path: &str) -> Result<String, String> {
    if path.is_empty() {
        return Err("is empty".into());
    }
    if !path.starts_with('/') {
        return Err(format!("{path:?} is not an absolute path"));
    }
    let mut out = String::with_capacity(path.len());
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(format!("{path:?} has a `..` component")),
            p => {
                out.push('/');
                out.push_str(p);
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Whether the normalised `path` is `prefix` or below it (both normalised), by component.
pub fn is_at_or_under(path: &str, prefix: &str) -> bool {
    if prefix == "/" {
        return true;
    }
    match path.strip_prefix(prefix) {
        Some("") => true,
        Some(rest) => rest.starts_with('/'),
        None => false,
    }
}

/// `/var/run` is a symlink to `/run` on the node images (Ubuntu, Azure Linux): the normalised
/// `path` with a leading `/var/run` component pair rewritten to `/run`, so both spellings of a
/// runtime socket compare equal.
pub fn canonical_run(path: &str) -> String {
    if is_at_or_under(path, "/var/run") {
        format!("/run{}", &path["/var/run".len()..])
    } else {
        path.to_owned()
    }
}

/// A path pattern: an absolute path whose components may hold `*` (any run of characters
/// within one component), e.g. `/home/*/.ssh`.
#[derive(Debug, Clone)]
pub struct PathPattern {
    source: String,
    parts: Vec<Glob>,
}

impl PathPattern {
    /// Compiles a pattern (normalised as a path first).
    ///
    /// # Errors
    /// As [`normalise`], or a component is not a valid glob.
    pub fn new(pattern: &str) -> Result<PathPattern, String> {
        let source = normalise(pattern)?;
        let parts = components(&source)
            .map(Glob::new)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PathPattern { source, parts })
    }

    /// The normalised pattern.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the normalised `path` is at or below a path the pattern matches
    /// (`/home/alice/.ssh/id_rsa` for `/home/*/.ssh`).
    pub fn covers(&self, path: &str) -> bool {
        let mut got = components(path);
        self.parts
            .iter()
            .all(|p| got.next().is_some_and(|c| p.matches(c)))
    }

    /// Whether the normalised `path` is a strict ancestor of a path the pattern matches
    /// (`/`, `/home`, `/home/alice` for `/home/*/.ssh`): mounting it exposes the pattern's
    /// paths too.
    pub fn is_inside(&self, path: &str) -> bool {
        let got: Vec<&str> = components(path).collect();
        got.len() < self.parts.len() && got.iter().zip(&self.parts).all(|(c, p)| p.matches(c))
    }
}

/// The components of a normalised path (none for `/`).
pub fn components(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_or_refuses() {
        assert_eq!(normalise("//var/./log/").unwrap(), "/var/log");
        assert_eq!(normalise("/").unwrap(), "/");
        assert_eq!(normalise("///").unwrap(), "/");
        assert!(
            normalise("var/log")
                .unwrap_err()
                .contains("not an absolute path")
        );
        assert!(normalise("/data/../etc").unwrap_err().contains("`..`"));
        assert!(normalise("").is_err());
        // `...` and `..x` are ordinary names.
        assert_eq!(normalise("/a/.../..x").unwrap(), "/a/.../..x");
    }

    #[test]
    fn prefixes_compare_by_component() {
        assert!(is_at_or_under("/data", "/data"));
        assert!(is_at_or_under("/data/x", "/data"));
        assert!(!is_at_or_under("/data2", "/data"));
        assert!(is_at_or_under("/anything", "/"));
        assert!(!is_at_or_under("/", "/data"));
    }

    #[test]
    fn var_run_is_run() {
        assert_eq!(canonical_run("/var/run/docker.sock"), "/run/docker.sock");
        assert_eq!(canonical_run("/var/run"), "/run");
        assert_eq!(canonical_run("/var/runner"), "/var/runner");
    }

    #[test]
    fn patterns_cover_and_contain() {
        let p = PathPattern::new("/home/*/.ssh").unwrap();
        assert!(p.covers("/home/alice/.ssh"));
        assert!(p.covers("/home/alice/.ssh/id_rsa"));
        assert!(!p.covers("/home/alice/.sshx"));
        assert!(!p.covers("/home/alice"));
        assert!(p.is_inside("/home/alice"));
        assert!(p.is_inside("/home"));
        assert!(p.is_inside("/"));
        assert!(!p.is_inside("/home/alice/.ssh"));
        assert!(!p.is_inside("/var"));
    }
}
