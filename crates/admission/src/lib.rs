//! The admission layer shared by the harness (`host-test`), the scanner, the playground and
//! the benches, with no engine in it (it builds for `wasm32-unknown-unknown` as well as
//! natively):
//!
//! - [`manifest`]: manifests -> objects (multi-document YAML and JSON streams, `List`s
//!   expanded, each object with its file, line and `helm template` source);
//! - [`kinds`]: the kinds a cluster serves (built-in table, the API server's plural rule,
//!   kinds taught by CustomResourceDefinitions);
//! - [`request`]: the CREATE AdmissionRequest the API server would send for an object;
//! - [`fixture`]: the cluster view context-aware policies read (objects that already exist,
//!   canned host-call answers, label and field selectors).

#![deny(missing_docs)]

pub mod fixture;
pub mod kinds;
pub mod manifest;
pub mod request;

pub use fixture::{ClusterFixture, FixtureError};
pub use kinds::{KindCatalog, api_group, resource_for_kind};
pub use manifest::{InputError, Manifest, Manifests, parse_manifests, read_manifests};
pub use request::{RequestDefaults, admission_request, admission_request_in};
