//! A small glob matcher for names and image references.
//!
//! `*` matches any run of characters except `/`; `**` matches any run including `/`; every
//! other character matches itself. Matching is linear-space dynamic programming, so hostile
//! patterns cannot make it exponential.

use crate::prelude::*;
/// Longest pattern accepted in settings.
pub const MAX_PATTERN_LEN: usize = 512;

/// Compiles a settings list of globs; the error names the entry, `key[i]: reason`.
///
/// # Errors
/// The first entry that is not a valid pattern (see [`Glob::new`]).
pub fn compile_list(key: &str, items: &[String]) -> Result<Vec<Glob>, String> {
    compile_each(key, items, Glob::new)
}

/// Compiles every entry of the settings list `key` with `compile`; the first error is
/// `key[i]: reason`. (A plain loop: the iterator chain it replaces was about 1 KB of every
/// module.)
///
/// # Errors
/// The first entry that does not compile.
pub fn compile_each<T>(
    key: &str,
    items: &[String],
    compile: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match compile(item) {
            Ok(v) => out.push(v),
            Err(e) => return Err(entry_error(key, i, &e)),
        }
    }
    Ok(out)
}

#[cold]
#[inline(never)]
fn entry_error(key: &str, i: usize, reason: &str) -> String {
    format!("{key}[{i}]: {reason}")
}

/// Whether `name` matches one of `globs`.
pub fn matches_any(globs: &[Glob], name: &str) -> bool {
    globs.iter().any(|g| g.matches(name))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Lit(u8),
    Star,
    DoubleStar,
}

/// A compiled glob pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    source: String,
    toks: Vec<Tok>,
}

/// Whether `text` contains `part` (a short literal), by a plain scan: the standard library's
/// substring search (two-way, with its set-up) is about 2.5 KB of a module that needs it
/// nowhere else.
pub fn has(text: &str, part: &[u8]) -> bool {
    part.is_empty() || text.as_bytes().windows(part.len()).any(|w| w == part)
}

impl Glob {
    /// Compiles `pattern`.
    ///
    /// # Errors
    /// The pattern is empty, too long, or has three or more `*` in a row.
    pub fn new(pattern: &str) -> Result<Glob, String> {
        if pattern.is_empty() {
            return Err("empty pattern".into());
        }
        if pattern.len() > MAX_PATTERN_LEN {
            return Err(format!("pattern longer than {MAX_PATTERN_LEN} characters"));
        }
        if has(pattern, b"***") {
            return Err(format!("pattern {pattern:?} has `***`; use `*` or `**`"));
        }
        let b = pattern.as_bytes();
        let mut toks = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'*' {
                if i + 1 < b.len() && b[i + 1] == b'*' {
                    toks.push(Tok::DoubleStar);
                    i += 2;
                } else {
                    toks.push(Tok::Star);
                    i += 1;
                }
            } else {
                toks.push(Tok::Lit(b[i]));
                i += 1;
            }
        }
        Ok(Glob {
            source: pattern.to_string(),
            toks,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern has no wildcard.
    pub fn is_literal(&self) -> bool {
        self.toks.iter().all(|t| matches!(t, Tok::Lit(_)))
    }

    /// Whether `text` matches the whole pattern.
    pub fn matches(&self, text: &str) -> bool {
        if self.is_literal() {
            return self.source == text;
        }
        let t = text.as_bytes();
        // cur[j]: pattern prefix of length i matches text prefix of length j.
        let mut cur = vec![false; t.len() + 1];
        cur[0] = true;
        let mut next = vec![false; t.len() + 1];
        for tok in &self.toks {
            next.fill(false);
            match tok {
                Tok::Lit(c) => {
                    for j in 0..t.len() {
                        if cur[j] && t[j] == *c {
                            next[j + 1] = true;
                        }
                    }
                }
                Tok::Star => {
                    for j in 0..=t.len() {
                        if cur[j] || (j > 0 && next[j - 1] && t[j - 1] != b'/') {
                            next[j] = true;
                        }
                    }
                }
                Tok::DoubleStar => {
                    for j in 0..=t.len() {
                        if cur[j] || (j > 0 && next[j - 1]) {
                            next[j] = true;
                        }
                    }
                }
            }
            core::mem::swap(&mut cur, &mut next);
        }
        cur[t.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_finds_a_part_as_str_contains_does() {
        for (text, part) in [
            ("a***b", "***"),
            ("**", "***"),
            ("", ""),
            ("x", ""),
            ("a..b", ".."),
            (".", ".."),
            ("ab", "ab"),
        ] {
            assert_eq!(
                has(text, part.as_bytes()),
                text.contains(part),
                "{text} {part}"
            );
        }
    }

    #[test]
    fn stars() {
        let g = Glob::new("team-*").unwrap();
        assert!(g.matches("team-a"));
        assert!(g.matches("team-"));
        assert!(!g.matches("team-a/b"));
        assert!(!g.matches("xteam-a"));
        let g = Glob::new("mcr.microsoft.com/**").unwrap();
        assert!(g.matches("mcr.microsoft.com/oss/kubernetes/pause"));
        assert!(!g.matches("mcr.microsoft.com.evil.example/x"));
        let g = Glob::new("a*b*c").unwrap();
        assert!(g.matches("abc") && g.matches("axxbyyc") && !g.matches("axxbyy"));
    }

    #[test]
    fn literal_and_bad_patterns() {
        assert!(Glob::new("default").unwrap().matches("default"));
        assert!(!Glob::new("default").unwrap().matches("default2"));
        assert!(Glob::new("").is_err());
        assert!(Glob::new("a***").is_err());
        assert!(Glob::new(&"a".repeat(600)).is_err());
    }

    #[test]
    fn hostile_input_stays_linear() {
        let g = Glob::new(&format!("{}c", "**a".repeat(100))).unwrap();
        assert!(!g.matches(&format!("{}b", "a".repeat(5000))));
    }
}
