//! Settings: the denied host paths, and the common exemptions.

use policy_helpers::prelude::*;

use policy_helpers::hostpath::{PathPattern, canonical_run, normalise};
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// One denied path.
    #[derive(Debug, Clone, Default)]
    pub struct DeniedPath [deny_unknown_fields] {
        /// Absolute path; a component may hold `*` (`/home/*/.ssh`).
        pub path: String = "path" required,
        /// Accept pod volumes that expose it when every mount is `readOnly: true`.
        pub allow_read_only: bool = "allowReadOnly",
    }
}

/// The denied paths when `deniedPaths` is not given.
pub const DEFAULT_DENIED: &[&str] = &[
    "/var/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/etc/kubernetes",
    "/var/lib/kubelet",
    "/proc",
    "/sys",
    "/etc",
    "/root",
    "/home/*/.ssh",
];

policy_helpers::view! {
    /// Settings of `deny-sensitive-host-mounts`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// The denied paths; default [`DEFAULT_DENIED`], none read-only.
        pub denied_paths: Option<Vec<DeniedPath>> = "deniedPaths",
        /// Paths denied on top of `deniedPaths` (or of the default list).
        pub additional_denied_paths: Vec<DeniedPath> = "additionalDeniedPaths",
        /// Common exemptions (namespaces, images, service accounts, users, groups).
        pub exemptions: Exemptions = "exemptions",
    }
}

/// A denied path in normal form (`/var/run` read as `/run`).
#[derive(Debug, Clone)]
pub struct Denied {
    /// The pattern.
    pub pattern: PathPattern,
    /// Read-only mounts are accepted.
    pub allow_read_only: bool,
}

fn compile(key: &str, list: &[DeniedPath]) -> Result<Vec<Denied>, String> {
    list.iter()
        .enumerate()
        .map(|(i, d)| {
            normalise(&d.path)
                .and_then(|n| PathPattern::new(&canonical_run(&n)))
                .map(|pattern| Denied {
                    pattern,
                    allow_read_only: d.allow_read_only,
                })
                .map_err(|e| format!("{key}[{i}].path: {e}"))
        })
        .collect()
}

impl Settings {
    /// The denied paths in force.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn denied(&self) -> Result<Vec<Denied>, String> {
        let mut out = match &self.denied_paths {
            Some(list) => compile("deniedPaths", list)?,
            None => {
                let defaults: Vec<DeniedPath> = DEFAULT_DENIED
                    .iter()
                    .map(|p| DeniedPath {
                        path: (*p).to_owned(),
                        allow_read_only: false,
                    })
                    .collect();
                compile("deniedPaths", &defaults)?
            }
        };
        out.extend(compile(
            "additionalDeniedPaths",
            &self.additional_denied_paths,
        )?);
        Ok(out)
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        self.denied().map(|_| ())
    }
}
