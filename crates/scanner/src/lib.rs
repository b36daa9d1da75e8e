//! The CI scanner: plain Kubernetes manifests evaluated by the bundle's modules without a
//! cluster, as the API server would send them at creation.
//!
//! - [`policies`]: the modules of a scan (a `dist/` directory, a list, or a [`profile`]) with
//!   their settings, modes, controls and severities;
//! - [`scan()`]: every object of the manifests ([`admission::manifest`]) turned into its CREATE
//!   request ([`admission::request`]) and evaluated by every module whose rules route it, in
//!   parallel, through the `host-test` harness;
//! - [`report`]: one [`ScanReport`] model, one module per format;
//! - [`repo`]: repositories as they are deployed (kustomizations rendered, Helm charts noted);
//! - [`progress`]: the progress line on a terminal.

#![deny(missing_docs)]

pub mod parallel;
pub mod policies;
pub mod profile;
pub mod progress;
pub mod repo;
pub mod report;
pub mod scan;

pub use admission::manifest::{
    InputError, Manifest, Manifests, STDIN_NAME, parse_manifests, read_manifests,
};
pub use admission::request::{RequestDefaults, admission_request};
pub use policies::{ScanError, ScanPolicy, Severity, dist_modules, load_policies, load_profile};
pub use report::{Finding, Outcome, PolicyInfo, ScanReport};
pub use scan::{ScanOptions, scan};
