//! Evaluating a policy module as policy-server does: a fresh `Store` and instance per call
//! (`_start` if exported, then `wapc_init`, then `__guest_call`), the `protocol_version`,
//! `validate_settings` and `validate` operations with their payloads, and the mapping of
//! guest errors, traps and exhausted limits to the answers policy-server gives.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest as _, Sha256};
use wasmtime::{Store, Trap};

use crate::callbacks::{ContextAwareResource, HostContext};
use crate::engine::{Compiled, Harness, LoadError, hex};
use crate::fixture::ClusterFixture;
use crate::limits::{Limits, MemoryCapExceeded, TIMEOUT_MESSAGE};
use crate::metadata::{self, ExecutionMode, Metadata, PolicyType};
use crate::request::{self, RequestError};
use crate::response::{
    AdmissionResponse, PolicyMode, SettingsValidationResponse, ValidationResponse, process_response,
};
use crate::state::{HostCallRecord, HostState, LogEntry};
use crate::wapc::HostFault;

/// What waPC reports when a guest fails without setting an error.
const NO_ERROR_MESSAGE: &str = "No error message set for call failure";

/// Why a guest call did not produce a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// `__guest_call` returned 0 (the policy's handler returned an error).
    #[error("guest call failure: {message}")]
    Guest {
        /// The guest's `__guest_error` text.
        message: String,
    },
    /// The guest trapped (or misused the host interface).
    #[error("guest trapped: {message}")]
    Trap {
        /// The trap text.
        message: String,
    },
    /// The epoch deadline passed.
    #[error(
        "policy execution interrupted because it exceeded the allowed execution time of {timeout:?}"
    )]
    Timeout {
        /// The deadline.
        timeout: Duration,
    },
    /// The fuel budget ran out.
    #[error("exceeded fuel budget of {budget}")]
    Fuel {
        /// The budget.
        budget: u64,
    },
    /// The guest grew its memory past the cap.
    #[error(transparent)]
    Memory(MemoryCapExceeded),
    /// An export the protocol needs is missing or has the wrong signature.
    #[error("the module has no usable '{name}' export: {message}")]
    Export {
        /// The export.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl Failure {
    /// The text waPC's wasmtime provider would hold as the guest error.
    pub fn guest_error_text(&self) -> String {
        match self {
            Failure::Guest { message } | Failure::Trap { message } => message.clone(),
            Failure::Timeout { .. } => {
                "guest code interrupted, execution deadline exceeded".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// The waPC host error (`Guest call failure: <text>`).
    pub fn wapc_error(&self) -> String {
        format!("Guest call failure: {}", self.guest_error_text())
    }

    /// The `status.message` policy-server answers a `validate` with.
    pub fn admission_message(&self) -> String {
        match self {
            Failure::Timeout { .. } => TIMEOUT_MESSAGE.to_owned(),
            other => format!("internal server error: {}", other.wapc_error()),
        }
    }
}

/// Harness-side errors while preparing an evaluation (the policy never ran).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// The request is not usable.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// Settings must be a JSON object (or null).
    #[error("settings must be a mapping, found {found}")]
    SettingsNotObject {
        /// What was given.
        found: String,
    },
    /// A payload does not fit a wasm32 guest.
    #[error("payload of {0} bytes is too large for a wasm32 guest")]
    PayloadTooLarge(usize),
    /// `protocol_version` failed.
    #[error("cannot invoke 'protocol_version' waPC function: {0}")]
    ProtocolVersion(String),
    /// The module cannot be run the way policy-server runs it.
    #[error("module {name} cannot be run by policy-server: {reason}")]
    NotRunnable {
        /// Module name.
        name: String,
        /// Why.
        reason: String,
    },
}

/// The policy-server configuration an evaluation runs under.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Policy id (used in the not-allowed-to-mutate message); defaults to the module name.
    pub policy_id: Option<String>,
    /// `protect` or `monitor`.
    pub mode: PolicyMode,
    /// The CRD's `mutating`/`allowedToMutate`.
    pub allowed_to_mutate: bool,
    /// The CRD's custom rejection `message`.
    pub custom_message: Option<String>,
    /// Host-capability allow-list (default `["*"]`, as for cluster-wide policies).
    pub host_capabilities: Vec<String>,
    /// Kubernetes resources the policy may read; `None` grants the module metadata's
    /// `contextAwareResources`.
    pub context_aware_resources: Option<Vec<ContextAwareResource>>,
    /// The cluster host calls are answered from (empty when `None`).
    pub cluster: Option<Arc<ClusterFixture>>,
    /// Index in the cluster's objects of one the Kubernetes calls must not see: the object
    /// under admission, when the cluster includes it (a CREATE: it does not exist yet).
    pub hidden_object: Option<usize>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            policy_id: None,
            mode: PolicyMode::Protect,
            allowed_to_mutate: false,
            custom_message: None,
            host_capabilities: vec!["*".to_owned()],
            context_aware_resources: None,
            cluster: None,
            hidden_object: None,
        }
    }
}

/// The raw result of one guest call.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    /// The guest's response bytes, or why there are none.
    pub result: Result<Vec<u8>, Failure>,
    /// Captured guest output.
    pub log: Vec<LogEntry>,
    /// Host calls made (the first [`crate::state::MAX_HOST_CALL_RECORDS`]).
    pub host_calls: Vec<HostCallRecord>,
    /// Number of host calls made.
    pub host_call_count: u64,
    /// Fuel used (0 when the limits meter no fuel, the default).
    pub fuel_consumed: u64,
    /// Wall-clock time of the whole call, instantiation included.
    pub elapsed: Duration,
}

/// The result of `validate`: the AdmissionResponse and everything observed on the way.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The processed AdmissionResponse (what the API server would receive).
    pub response: AdmissionResponse,
    /// The decoded JSON Patch of `response.patch`, if any.
    pub patch: Option<Value>,
    /// The policy's own `ValidationResponse`, if it produced a parsable one.
    pub policy_response: Option<ValidationResponse>,
    /// Why the guest produced no response, if it did not.
    pub failure: Option<Failure>,
    /// Captured guest output.
    pub log: Vec<LogEntry>,
    /// Host calls made.
    pub host_calls: Vec<HostCallRecord>,
    /// Number of host calls made.
    pub host_call_count: u64,
    /// Fuel used (0 when the limits meter no fuel, the default).
    pub fuel_consumed: u64,
    /// Wall-clock time.
    pub elapsed: Duration,
}

impl Evaluation {
    /// The verdict.
    pub fn allowed(&self) -> bool {
        self.response.allowed
    }

    /// `status.message`, if any.
    pub fn message(&self) -> Option<&str> {
        self.response.message()
    }

    /// `status.code`, if any.
    pub fn code(&self) -> Option<u16> {
        self.response.code()
    }
}

/// The result of `validate_settings`.
#[derive(Debug, Clone)]
pub struct SettingsOutcome {
    /// Whether the settings are valid (false on any failure, as policy-server treats it).
    pub valid: bool,
    /// The message, as policy-server would report it.
    pub message: Option<String>,
    /// Why the guest produced no response, if it did not.
    pub failure: Option<Failure>,
    /// Captured guest output.
    pub log: Vec<LogEntry>,
}

/// A compiled, linked policy module.
#[derive(Clone)]
pub struct PolicyModule {
    harness: Harness,
    name: String,
    digest: String,
    metadata: Option<Metadata>,
    compiled: Arc<Compiled>,
}

impl std::fmt::Debug for PolicyModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyModule")
            .field("name", &self.name)
            .field("digest", &self.digest)
            .field("metadata", &self.metadata)
            .finish()
    }
}

fn classify(error: wasmtime::Error, limits: &Limits) -> Failure {
    let mut trap: Option<Trap> = error.downcast_ref::<Trap>().copied();
    let mut memory = error.downcast_ref::<MemoryCapExceeded>().cloned();
    let mut fault = error.downcast_ref::<HostFault>().cloned();
    for cause in error.chain() {
        trap = trap.or_else(|| cause.downcast_ref::<Trap>().copied());
        memory = memory.or_else(|| cause.downcast_ref::<MemoryCapExceeded>().cloned());
        fault = fault.or_else(|| cause.downcast_ref::<HostFault>().cloned());
    }
    if let Some(memory) = memory {
        return Failure::Memory(memory);
    }
    if let Some(fault) = fault {
        return Failure::Trap {
            message: fault.to_string(),
        };
    }
    match trap {
        Some(Trap::Interrupt) => Failure::Timeout {
            timeout: limits.timeout,
        },
        Some(Trap::OutOfFuel) => Failure::Fuel {
            budget: limits.fuel.unwrap_or_default(),
        },
        Some(trap) => Failure::Trap {
            message: trap.to_string(),
        },
        None => Failure::Trap {
            message: error.root_cause().to_string(),
        },
    }
}

pub(crate) fn is_clean_exit(error: &wasmtime::Error) -> bool {
    let exit = |e: &HostFault| matches!(e, HostFault::ProcExit { code: 0 });
    error.downcast_ref::<HostFault>().is_some_and(exit)
        || error
            .chain()
            .any(|cause| cause.downcast_ref::<HostFault>().is_some_and(exit))
}

fn settings_object(settings: &Value) -> Result<Value, EvalError> {
    match settings {
        Value::Null => Ok(Value::Object(serde_json::Map::new())),
        Value::Object(_) => Ok(settings.clone()),
        other => Err(EvalError::SettingsNotObject {
            found: other.to_string(),
        }),
    }
}

impl PolicyModule {
    pub(crate) fn new(
        harness: Harness,
        name: String,
        digest: String,
        metadata: Option<Metadata>,
        compiled: Arc<Compiled>,
    ) -> Self {
        PolicyModule {
            harness,
            name,
            digest,
            metadata,
            compiled,
        }
    }

    /// The module name (file stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Hex sha256 of the module's code (metadata sections excluded).
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The embedded metadata, if the module is annotated.
    pub fn metadata(&self) -> Option<&Metadata> {
        self.metadata.as_ref()
    }

    /// The harness this module runs in.
    pub fn harness(&self) -> &Harness {
        &self.harness
    }

    /// The compiled, linked module, ready to instantiate.
    pub(crate) fn instance_pre(&self) -> &wasmtime::InstancePre<HostState> {
        &self.compiled.pre
    }

    /// Checks that policy-server would run this module: annotated, `kubewarden-wapc`
    /// execution mode, `protocolVersion` `v1`.
    ///
    /// # Errors
    /// [`EvalError::NotRunnable`] naming the reason.
    pub fn check_runnable(&self) -> Result<(), EvalError> {
        let not_runnable = |reason: String| EvalError::NotRunnable {
            name: self.name.clone(),
            reason,
        };
        let Some(metadata) = &self.metadata else {
            return Err(not_runnable(
                "it has no io.kubewarden.metadata section, so the protocol version is missing (annotate it first)".to_owned(),
            ));
        };
        if metadata.execution_mode != ExecutionMode::KubewardenWapc {
            return Err(not_runnable(format!(
                "execution mode '{}' is not supported by the harness",
                metadata.execution_mode
            )));
        }
        match metadata.protocol_version.as_deref() {
            Some("v1") => Ok(()),
            Some(other) => Err(not_runnable(format!(
                "unsupported protocol version '{other}' (policy-server requires v1)"
            ))),
            None => Err(not_runnable(
                "the metadata has no protocolVersion (annotate it first)".to_owned(),
            )),
        }
    }

    /// The host-call context an evaluation under `options` answers from (grants and fixture).
    pub fn host_context(&self, options: &EvalOptions) -> HostContext {
        let context_aware: BTreeSet<ContextAwareResource> = match &options.context_aware_resources {
            Some(list) => list.iter().cloned().collect(),
            None => self
                .metadata
                .as_ref()
                .map(|m| m.context_aware_resources.iter().cloned().collect())
                .unwrap_or_default(),
        };
        HostContext {
            policy_id: self.policy_id(options),
            host_capabilities: options.host_capabilities.clone(),
            context_aware_resources: context_aware,
            cluster: options
                .cluster
                .clone()
                .unwrap_or_else(|| Arc::new(ClusterFixture::empty())),
            hidden_object: options.hidden_object,
        }
    }

    fn policy_id(&self, options: &EvalOptions) -> String {
        options
            .policy_id
            .clone()
            .unwrap_or_else(|| self.name.clone())
    }

    /// Runs one waPC operation in a fresh instance, within the harness limits.
    pub fn call(&self, operation: &str, payload: &[u8], options: &EvalOptions) -> CallOutcome {
        let started = Instant::now();
        let limits = self.harness.config().limits;
        let state = HostState::new(
            operation,
            payload,
            Arc::new(self.host_context(options)),
            limits.memory_bytes,
            self.harness.config().random_seed,
        );
        let mut store = Store::new(self.harness.engine(), state);
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(limits.deadline_ticks());
        store.epoch_deadline_trap();
        let result = match limits.fuel.map(|fuel| store.set_fuel(fuel)) {
            None | Some(Ok(())) => self.run(&mut store, operation.len(), payload.len(), &limits),
            Some(Err(e)) => Err(Failure::Trap {
                message: format!("cannot set the fuel budget: {e}"),
            }),
        };
        let fuel_consumed = match (limits.fuel, store.get_fuel()) {
            (Some(budget), Ok(left)) => budget.saturating_sub(left),
            _ => 0,
        };
        let mut state = store.into_data();
        state.flush_stdio();
        CallOutcome {
            result,
            host_call_count: state.host_call_count,
            host_calls: state.host_calls,
            log: state.log.into_entries(),
            fuel_consumed,
            elapsed: started.elapsed(),
        }
    }

    fn run(
        &self,
        store: &mut Store<HostState>,
        op_len: usize,
        payload_len: usize,
        limits: &Limits,
    ) -> Result<Vec<u8>, Failure> {
        let instance = self
            .compiled
            .pre
            .instantiate(&mut *store)
            .map_err(|e| classify(e, limits))?;
        if let Some(start) = instance.get_func(&mut *store, "_start") {
            let start = start
                .typed::<(), ()>(&*store)
                .map_err(|e| Failure::Export {
                    name: "_start",
                    message: format!("{e:#}"),
                })?;
            if let Err(e) = start.call(&mut *store, ())
                && !is_clean_exit(&e)
            {
                return Err(classify(e, limits));
            }
        }
        if let Some(init) = instance.get_func(&mut *store, "wapc_init") {
            let init = init.typed::<(), ()>(&*store).map_err(|e| Failure::Export {
                name: "wapc_init",
                message: format!("{e:#}"),
            })?;
            init.call(&mut *store, ())
                .map_err(|e| classify(e, limits))?;
        }
        let guest_call = instance
            .get_typed_func::<(i32, i32), i32>(&mut *store, "__guest_call")
            .map_err(|e| Failure::Export {
                name: "__guest_call",
                message: format!("{e:#}"),
            })?;
        let too_large = |len: usize| Failure::Trap {
            message: format!("payload of {len} bytes is too large for a wasm32 guest"),
        };
        let op_len = i32::try_from(op_len).map_err(|_| too_large(op_len))?;
        let payload_len = i32::try_from(payload_len).map_err(|_| too_large(payload_len))?;
        let rc = guest_call
            .call(&mut *store, (op_len, payload_len))
            .map_err(|e| classify(e, limits))?;
        let state = store.data_mut();
        if rc == 1 {
            Ok(state.guest_response.take().unwrap_or_default())
        } else {
            Err(Failure::Guest {
                message: state
                    .guest_error
                    .take()
                    .unwrap_or_else(|| NO_ERROR_MESSAGE.to_owned()),
            })
        }
    }

    /// Calls `protocol_version` and returns the version string (`v1`).
    ///
    /// # Errors
    /// When the call fails or the answer is not a JSON string.
    pub fn protocol_version(&self) -> Result<String, EvalError> {
        let outcome = self.call("protocol_version", &[], &EvalOptions::default());
        let bytes = outcome
            .result
            .map_err(|failure| EvalError::ProtocolVersion(failure.wapc_error()))?;
        serde_json::from_slice::<String>(&bytes).map_err(|e| {
            EvalError::ProtocolVersion(format!(
                "cannot create ProtocolVersion object from {:?}: {e}",
                String::from_utf8_lossy(&bytes)
            ))
        })
    }

    /// Calls `validate_settings` with `settings` (`null` means `{}`), with default options.
    ///
    /// # Errors
    /// When `settings` is not an object or null.
    pub fn validate_settings(&self, settings: &Value) -> Result<SettingsOutcome, EvalError> {
        self.validate_settings_with(settings, &EvalOptions::default())
    }

    /// Calls `validate_settings`; a guest error or unparsable answer becomes `valid: false`
    /// with policy-server's message.
    ///
    /// # Errors
    /// When `settings` is not an object or null.
    pub fn validate_settings_with(
        &self,
        settings: &Value,
        options: &EvalOptions,
    ) -> Result<SettingsOutcome, EvalError> {
        let settings = settings_object(settings)?;
        let payload = settings.to_string();
        let outcome = self.call("validate_settings", payload.as_bytes(), options);
        let (valid, message, failure) = match outcome.result {
            Ok(bytes) => match serde_json::from_slice::<SettingsValidationResponse>(&bytes) {
                Ok(response) => (response.valid, response.message, None),
                Err(e) => (
                    false,
                    Some(format!("error: InvalidResponseWithError({e:?})")),
                    None,
                ),
            },
            Err(failure) => (
                false,
                Some(format!(
                    "Error invoking settings validation callback: GuestCallFailure({:?})",
                    failure.guest_error_text()
                )),
                Some(failure),
            ),
        };
        Ok(SettingsOutcome {
            valid,
            message,
            failure,
            log: outcome.log,
        })
    }

    /// Calls `validate` with default options (protect mode, not allowed to mutate, every
    /// host capability, the metadata's context-aware resources, an empty cluster).
    ///
    /// # Errors
    /// When the request or settings are not usable.
    pub fn validate(&self, request: &Value, settings: &Value) -> Result<Evaluation, EvalError> {
        self.validate_with(request, settings, &EvalOptions::default())
    }

    /// Calls `validate` and processes the answer as policy-server does. `request` is an
    /// AdmissionRequest or AdmissionReview (normalised first), or any JSON for a policy
    /// whose metadata says `policyType: raw`.
    ///
    /// # Errors
    /// When the request or settings are not usable.
    pub fn validate_with(
        &self,
        request: &Value,
        settings: &Value,
        options: &EvalOptions,
    ) -> Result<Evaluation, EvalError> {
        let raw = self
            .metadata
            .as_ref()
            .is_some_and(|m| m.policy_type == PolicyType::Raw);
        let request = if raw {
            request.clone()
        } else {
            request::normalize_request(request.clone(), "value")?
        };
        let settings = settings_object(settings)?;
        let uid = request::request_uid(&request);
        let payload = format!("{{\"request\":{request},\"settings\":{settings}}}");
        let outcome = self.call("validate", payload.as_bytes(), options);
        let object = if raw {
            Some(&request)
        } else {
            request.get("object")
        };
        let mut policy_response = None;
        let mut failure = None;
        let response = match outcome.result {
            Ok(bytes) => match serde_json::from_slice::<ValidationResponse>(&bytes) {
                Ok(parsed) => {
                    let response =
                        AdmissionResponse::from_validation_response(uid, object, &parsed);
                    policy_response = Some(parsed);
                    response
                }
                Err(e) => AdmissionResponse::reject_internal_server_error(
                    uid,
                    &format!("invalid response from policy: {e}"),
                ),
            },
            Err(f) => {
                let response = match &f {
                    Failure::Timeout { .. } => {
                        AdmissionResponse::reject(uid, f.admission_message(), 500)
                    }
                    _ => AdmissionResponse::reject_internal_server_error(uid, &f.wapc_error()),
                };
                failure = Some(f);
                response
            }
        };
        let policy_id = self.policy_id(options);
        let response = process_response(
            response,
            &policy_id,
            options.mode,
            options.allowed_to_mutate,
            options.custom_message.as_deref(),
        );
        let patch = response.decoded_patch().ok().flatten();
        Ok(Evaluation {
            response,
            patch,
            policy_response,
            failure,
            log: outcome.log,
            host_calls: outcome.host_calls,
            host_call_count: outcome.host_call_count,
            fuel_consumed: outcome.fuel_consumed,
            elapsed: outcome.elapsed,
        })
    }
}

/// Loading modules: here rather than in [`crate::engine`], so that the engine does not depend
/// on the modules it compiles.
impl Harness {
    /// Reads, compiles (or fetches from cache) and links a module file.
    ///
    /// # Errors
    /// When the file cannot be read, is not a module, has invalid metadata, does not compile
    /// or imports something the harness does not provide.
    pub fn load_module(&self, path: impl AsRef<Path>) -> Result<PolicyModule, LoadError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
            path: path.to_owned(),
            source,
        })?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        self.load_module_bytes(&name, &bytes)
    }

    /// Compiles (or fetches from cache) and links a module given as bytes; `name` is used
    /// in messages and as the default policy id.
    ///
    /// # Errors
    /// As [`Harness::load_module`].
    pub fn load_module_bytes(&self, name: &str, bytes: &[u8]) -> Result<PolicyModule, LoadError> {
        let metadata_error = |source| LoadError::Metadata {
            name: name.to_owned(),
            source,
        };
        let metadata = metadata::read_metadata(bytes).map_err(metadata_error)?;
        // The metadata section does not change the code: an annotated module shares the
        // compiled artifact of its unannotated twin.
        let code = metadata::strip_metadata_sections(bytes).map_err(metadata_error)?;
        let digest: [u8; 32] = Sha256::digest(&code).into();
        let compiled =
            self.runtime
                .compiled(name, &code, digest, self.config.cache_dir.as_deref())?;
        Ok(PolicyModule::new(
            self.clone(),
            name.to_owned(),
            hex(&digest),
            metadata,
            compiled,
        ))
    }
}
