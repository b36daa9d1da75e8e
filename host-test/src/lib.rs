//! `host-test` runs Kubewarden waPC policy modules (`wasm32-wasip1`) under wasmtime exactly
//! as policy-server does — same imports, same payloads, a fresh instance per call, the same
//! conversion of the policy's answer into an AdmissionResponse, the same host-capability
//! gating — within a fuel budget, a wall-clock deadline and a memory cap, so that a green
//! host-test means a green cluster.
//!
//! ```no_run
//! use host_test::{Harness, HarnessConfig};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let harness = Harness::new(HarnessConfig::default())?;
//! let module = harness.load_module(std::path::Path::new("dist/pod-privileged.wasm"))?;
//! module.check_runnable()?;
//! let request = host_test::load_request(std::path::Path::new("request.yaml"))?;
//! let settings = serde_json::json!({});
//! assert!(module.validate_settings(&settings)?.valid);
//! let evaluation = module.validate(&request, &settings)?;
//! println!("{}", evaluation.response.to_json());
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

pub mod annotate;
pub mod artifacthub;
pub mod callbacks;
pub mod cli;
pub mod conformance;
pub mod engine;
pub mod evaluate;
/// The cluster view (moved to the `admission` crate; kept here under its old path).
pub use admission::fixture;
pub mod limits;
pub mod log;
pub mod metadata;
pub mod replay;
pub mod request;
pub mod response;
pub mod session;
pub mod state;
pub mod suite;
pub mod wapc;
pub mod wasi;

pub use annotate::{AnnotateError, annotate};
pub use callbacks::{ContextAwareResource, HostContext};
pub use engine::{Harness, HarnessConfig, LoadError};
pub use evaluate::{
    CallOutcome, EvalError, EvalOptions, Evaluation, Failure, PolicyModule, SettingsOutcome,
};
pub use fixture::{ClusterFixture, FixtureError};
pub use limits::{Limits, TIMEOUT_MESSAGE};
pub use metadata::{Metadata, MetadataError, Rule, read_metadata};
pub use request::{RequestError, load_request, normalize_request, parse_request};
pub use response::{AdmissionResponse, PolicyMode, ValidationResponse};
pub use session::Session;
pub use state::{HostCallRecord, LogEntry, LogSource};
pub use suite::{
    CaseResult, PolicyOutcome, PolicySuite, RunOptions, Suite, SuiteError, SuiteReport,
    WorkspaceReport, discover, load_suite, run_suite, run_workspace,
};
