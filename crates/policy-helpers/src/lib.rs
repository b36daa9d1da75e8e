//! Shared helpers for every policy module of the bundle.
//!
//! A policy crate is a `cdylib` whose `lib.rs` only declares its settings, its control ids and
//! a pure rule over the typed views defined here, then calls [`export_policy!`]. Everything a
//! second policy would need lives in this crate:
//!
//! - [`json`]: the modules' JSON reader, a serde deserializer over borrowed text built for size
//!   (serde_json's error texts; no second reader, no float formatter in a module).
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
//! - [`runtime`]: the operations of a module (`validate`, `validate_settings`,
//!   `protocol_version`) and their answers, written directly.
//! - [`guest`]: the guest side of the waPC protocol (the `__guest_call` dispatch, host calls).
//! - [`arena`]: the modules' allocator, a per-call arena in static memory (every allocation of
//!   a call dies with it).
//! - [`mutate`]: defaulting container fields and returning the mutated object.
//! - [`capabilities`], [`hostpath`], [`ranges`]: capability names, host paths compared by
//!   component, and `{min, max}` ranges in settings.
//! - [`rbac`]: the Kubernetes RBAC model (rules matched as the authorizer does, roles, bindings,
//!   subjects, name patterns) shared by the role and binding policies.
//! - [`selector`]: Kubernetes label selectors.
//! - [`consumer`]: string booleans read by the rule of the component that acts on them (Go
//!   `strconv.ParseBool`, the Key Vault provider, the Azure cloud provider, exact `"true"`).

// The modules are built without the standard library: what they need of it is in `core` and
// `alloc`, and std would add its panic machinery (message formatting, backtrace and stderr
// support), wasi-libc's allocator and environment code, about 20 KB of every module. Native
// builds (tests, the harness, the scanner, the playground) keep std.
#![cfg_attr(all(target_arch = "wasm32", target_os = "wasi"), no_std)]

extern crate alloc;

/// What the standard library's prelude gives and a `no_std` crate has to import: every module
/// of the helpers and of the policies starts with `use policy_helpers::prelude::*;`.
pub mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::format;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}

/// The C maths functions (`round`, `log2`, ...) for code built without std.
pub use libm;

pub mod arena;
pub mod capabilities;
pub mod consumer;
pub mod exemptions;
pub mod glob;
pub mod guest;
pub mod host;
pub mod hostpath;
pub mod identity;
pub mod image;
pub mod json;
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

pub mod de;

#[doc(hidden)]
pub use serde as __serde;

/// Every module allocates from a per-call arena ([`arena`]).
#[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
#[global_allocator]
static ALLOCATOR: arena::Arena<{ arena::BLOCK_BYTES }> = arena::Arena::new();

pub use exemptions::Exemptions;
pub use request::{Operation, Request};
pub use runtime::Policy;
pub use settings::PolicySettings;
pub use verdict::{Findings, Mutated, Verdict};

/// Exports a [`Policy`] implementation as a Kubewarden waPC module.
///
/// Expands to the two waPC exports: `wapc_init`, which has nothing to prepare (the engine
/// calls it on every fresh instance), and `__guest_call`, which serves `validate`,
/// `validate_settings` and `protocol_version` through [`runtime::dispatch`] ([`guest`]).
/// That is all the glue a policy's `lib.rs` needs. The exports exist only for the engine's
/// target (`wasm32-wasip1`): elsewhere (native tests, the browser playground, which links
/// every policy crate into one module) there is no waPC host and one symbol per policy would
/// collide.
#[macro_export]
macro_rules! export_policy {
    ($policy:ty) => {
        /// waPC start-up export: nothing to register, the operations are matched by name.
        #[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
        #[unsafe(no_mangle)]
        pub extern "C" fn wapc_init() {}

        /// waPC call export: one operation per call (only in the engine's module).
        #[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
        #[unsafe(no_mangle)]
        pub extern "C" fn __guest_call(op_len: i32, req_len: i32) -> i32 {
            // The policy id in settings messages is the crate name of the policy that
            // expands this macro (every policy crate is named after its id).
            $crate::guest::serve(op_len, req_len, |op, payload| {
                $crate::runtime::dispatch::<$policy>(env!("CARGO_PKG_NAME"), op, payload)
            })
        }
    };
}
