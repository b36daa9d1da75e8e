//! Shared helpers for every policy module of the bundle.
//!
//! A policy crate is a `cdylib` whose `lib.rs` only declares its settings, its control ids and
//! a pure rule over the typed views defined here, then calls [`export_policy!`]. Everything a
//! second policy would need lives in this crate:
//!
//! - [`request`]: a typed view of the admission request that deserialises only what rules read;
//!   the object stays raw until a rule asks for a view of it.
//! - [`pod`]: pod-spec extraction for every pod-bearing kind (Pod, PodTemplate,
//!   ReplicationController, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob and the
//!   `pods/ephemeralcontainers` subresource), container iteration with exact field paths, and the
//!   effective (container over pod) security context.
//! - [`pss`]: Pod Security Standards building blocks (levels, value sets, seccomp/AppArmor
//!   profiles from fields and legacy annotations, SELinux, per-container checks).
//! - [`image`]: image reference parsing and normalisation, and image patterns.
//! - [`quantity`]: Kubernetes resource quantities, parsed and compared exactly.
//! - [`glob`]: the small glob matcher used by patterns.
//! - [`net`]: CIDRs, ports and port sets, host names, and views of Service, Ingress,
//!   NetworkPolicy and Gateway for the network policies.
//! - [`labels`]: label/annotation keys, value patterns and namespace label lookups.
//! - [`exemptions`]: the `exemptions` settings block every policy carries.
//! - [`settings`]: settings decoding that rejects unknown keys with the key's path.
//! - [`verdict`]: findings, verdicts and the rejection message format.
//! - [`host`]: typed host capability calls (Kubernetes lookups, OCI digests, sigstore) for
//!   context-aware rules, with a replaceable handler outside the engine.
//! - [`identity`]: Entra ids, workload identity annotations and labels, ServiceAccount views,
//!   lookups and name patterns.
//! - [`secrets`]: secret detectors (private keys, tokens, connection strings, cloud keys,
//!   high-entropy strings) and sensitive names, shared by the policies that look for credentials.
//! - [`runtime`]: the waPC entry points (`validate`, `validate_settings`, `protocol_version`).
//! - [`mutate`]: defaulting container fields and returning the mutated object.
//! - [`capabilities`], [`hostpath`], [`ranges`]: capability names, host paths compared by
//!   component, and `{min, max}` ranges in settings.
//! - [`rbac`]: the Kubernetes RBAC model (rules matched as the authorizer does, roles, bindings,
//!   subjects, name patterns) shared by the role and binding policies.
//! - [`selector`]: Kubernetes label selectors.
//! - [`consumer`]: string booleans read by the rule of the component that acts on them (Go
//!   `strconv.ParseBool`, the Key Vault provider, the Azure cloud provider, exact `"true"`).

pub mod capabilities;
pub mod consumer;
pub mod exemptions;
pub mod glob;
pub mod host;
pub mod hostpath;
pub mod identity;
pub mod image;
pub mod labels;
pub mod mutate;
pub mod net;
pub mod pod;
pub mod pss;
pub mod quantity;
pub mod ranges;
pub mod rbac;
pub mod request;
pub mod runtime;
pub mod secrets;
pub mod selector;
pub mod settings;
pub mod strict;
pub mod verdict;

mod de;

pub use exemptions::Exemptions;
pub use request::{Operation, Request};
pub use runtime::Policy;
pub use settings::PolicySettings;
pub use verdict::{Findings, Verdict};

/// The Kubewarden SDK, re-exported so policy crates need no direct dependency on it.
pub use kubewarden_policy_sdk as sdk;

/// Exports a [`Policy`] implementation as a Kubewarden waPC module.
///
/// Expands to the `wapc_init` export that registers `validate`, `validate_settings` and
/// `protocol_version`, which is all the glue a policy's `lib.rs` needs. The export exists only
/// for the engine's target (`wasm32-wasip1`): elsewhere (native tests, the browser playground,
/// which links every policy crate into one module) there is no waPC host and one symbol per
/// policy would collide.
#[macro_export]
macro_rules! export_policy {
    ($policy:ty) => {
        /// waPC entry point: registers the policy's operations with the guest runtime.
        /// Only in the engine's module (`wasm32-wasip1`): native builds (tests, benchmarks
        /// linking several policies) and the browser playground (`wasm32-unknown-unknown`)
        /// call `runtime::evaluate` directly and must not clash on the symbol.
        #[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
        #[unsafe(no_mangle)]
        pub extern "C" fn wapc_init() {
            $crate::sdk::wapc_guest::register_function(
                "validate",
                $crate::runtime::validate::<$policy>,
            );
            // The policy id in settings messages is the crate name of the policy that
            // expands this macro (every policy crate is named after its id).
            $crate::sdk::wapc_guest::register_function("validate_settings", |payload: &[u8]| {
                $crate::runtime::validate_settings::<$policy>(env!("CARGO_PKG_NAME"), payload)
            });
            $crate::sdk::wapc_guest::register_function(
                "protocol_version",
                $crate::sdk::protocol_version_guest,
            );
        }
    };
}
