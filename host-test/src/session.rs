//! A long-lived instance for measuring the guest's own cost: one `Store` and instance, set up
//! once (`_start`, `wapc_init`), then any number of `__guest_call`s. policy-server does not run
//! modules this way (it instantiates per request, see [`crate::PolicyModule::call`]); the
//! benchmarks use a session to separate the `validate` work from instantiation.

use std::sync::Arc;

use wasmtime::{Store, TypedFunc};

use crate::callbacks::HostContext;
use crate::evaluate::{Failure, PolicyModule};
use crate::state::HostState;

/// An instantiated, initialised module answering repeated waPC calls.
pub struct Session {
    store: Store<HostState>,
    guest_call: TypedFunc<(i32, i32), i32>,
    memory: Option<wasmtime::Memory>,
    fuel: Option<u64>,
    deadline_ticks: u64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

fn trap(what: &str, error: &wasmtime::Error) -> Failure {
    Failure::Trap {
        message: format!("{what}: {error:#}"),
    }
}

impl PolicyModule {
    /// Instantiates the module once and runs its initialisation, for repeated calls.
    ///
    /// # Errors
    /// When instantiation or initialisation fails.
    pub fn session(&self) -> Result<Session, Failure> {
        let limits = self.harness().config().limits;
        let state = HostState::new(
            "",
            &[],
            Arc::new(HostContext::default()),
            limits.memory_bytes,
            self.harness().config().random_seed,
        );
        let mut store = Store::new(self.harness().engine(), state);
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(limits.deadline_ticks());
        store.epoch_deadline_trap();
        if let Some(fuel) = limits.fuel {
            store
                .set_fuel(fuel)
                .map_err(|e| trap("cannot set the fuel budget", &e))?;
        }
        let instance = self
            .instance_pre()
            .instantiate(&mut store)
            .map_err(|e| trap("instantiation", &e))?;
        for init in ["_start", "wapc_init"] {
            if let Some(func) = instance.get_func(&mut store, init) {
                let func = func.typed::<(), ()>(&store).map_err(|e| trap(init, &e))?;
                if let Err(e) = func.call(&mut store, ())
                    && !(init == "_start" && crate::evaluate::is_clean_exit(&e))
                {
                    return Err(trap(init, &e));
                }
            }
        }
        let guest_call = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "__guest_call")
            .map_err(|e| trap("__guest_call", &e))?;
        let memory = instance.get_memory(&mut store, "memory");
        Ok(Session {
            store,
            guest_call,
            memory,
            fuel: limits.fuel,
            deadline_ticks: limits.deadline_ticks(),
        })
    }
}

impl Session {
    /// Current size of the instance's exported `memory` in bytes (0 without one): whether a
    /// module's memory grows over many calls.
    pub fn memory_bytes(&self) -> usize {
        self.memory.map_or(0, |m| m.data_size(&self.store))
    }

    /// Runs one waPC operation in this instance and returns the guest's answer.
    ///
    /// # Errors
    /// When the guest reports an error or traps.
    pub fn call(&mut self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, Failure> {
        let too_large = |len: usize| Failure::Trap {
            message: format!("payload of {len} bytes is too large for a wasm32 guest"),
        };
        let op_len = i32::try_from(operation.len()).map_err(|_| too_large(operation.len()))?;
        let payload_len = i32::try_from(payload.len()).map_err(|_| too_large(payload.len()))?;
        if let Some(fuel) = self.fuel {
            self.store
                .set_fuel(fuel)
                .map_err(|e| trap("cannot set the fuel budget", &e))?;
        }
        self.store.set_epoch_deadline(self.deadline_ticks);
        let state = self.store.data_mut();
        state.operation.clear();
        state.operation.extend_from_slice(operation.as_bytes());
        state.payload.clear();
        state.payload.extend_from_slice(payload);
        state.guest_response = None;
        state.guest_error = None;
        let rc = self
            .guest_call
            .call(&mut self.store, (op_len, payload_len))
            .map_err(|e| trap("__guest_call", &e))?;
        let state = self.store.data_mut();
        if rc == 1 {
            Ok(state.guest_response.take().unwrap_or_default())
        } else {
            Err(Failure::Guest {
                message: state.guest_error.take().unwrap_or_default(),
            })
        }
    }
}
