//! The nine `wapc` host imports, with the signatures and semantics waPC's wasmtime provider
//! gives them in policy-server, plus bounds-checked access to the guest's exported `memory`:
//! a bad pointer or length ends the evaluation with a clear error, never a host panic.

use std::ops::Range;

use wasmtime::{Caller, Extern, Linker, Memory};

use crate::callbacks;
use crate::state::{HostState, LogSource};

/// The import module name of the waPC host functions.
pub const WAPC_MODULE: &str = "wapc";

/// A guest misused the host interface; raised as a trap that ends the evaluation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HostFault {
    /// A pointer/length pair does not fit in the guest's memory.
    #[error(
        "guest passed an out-of-bounds buffer to {function}: offset {offset}, length {len}, but memory is {size} bytes"
    )]
    OutOfBounds {
        /// The host function that was called.
        function: &'static str,
        /// The offset the guest gave.
        offset: u32,
        /// The length of the buffer.
        len: u64,
        /// The current size of the guest's memory.
        size: usize,
    },
    /// The module does not export a linear memory named `memory`.
    #[error("the module does not export its linear memory as 'memory' (needed by {function})")]
    NoMemory {
        /// The host function that needed it.
        function: &'static str,
    },
    /// The guest called WASI `proc_exit`.
    #[error("guest called proc_exit({code})")]
    ProcExit {
        /// The exit code.
        code: i32,
    },
}

/// Finds the guest's exported `memory`.
pub(crate) fn memory(
    caller: &mut Caller<'_, HostState>,
    function: &'static str,
) -> Result<Memory, HostFault> {
    match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => Ok(memory),
        _ => Err(HostFault::NoMemory { function }),
    }
}

/// The byte range `[ptr, ptr + len)` if it fits in a memory of `size` bytes. Pointers and
/// lengths are wasm32 `usize`, so the `i32` bits are read as unsigned.
pub(crate) fn range(
    function: &'static str,
    ptr: i32,
    len: u64,
    size: usize,
) -> Result<Range<usize>, HostFault> {
    let offset = ptr as u32;
    let fault = HostFault::OutOfBounds {
        function,
        offset,
        len,
        size,
    };
    let start = usize::try_from(offset).map_err(|_| fault.clone())?;
    let len_usize = usize::try_from(len).map_err(|_| fault.clone())?;
    let end = start.checked_add(len_usize).ok_or_else(|| fault.clone())?;
    if end > size {
        return Err(fault);
    }
    Ok(start..end)
}

/// Copies `len` bytes out of guest memory.
pub(crate) fn read(
    caller: &mut Caller<'_, HostState>,
    function: &'static str,
    ptr: i32,
    len: i32,
) -> Result<Vec<u8>, HostFault> {
    let memory = memory(caller, function)?;
    let data = memory.data(&*caller);
    let range = range(function, ptr, u64::from(len as u32), data.len())?;
    Ok(data[range].to_vec())
}

/// Copies `bytes` into guest memory at `ptr`.
pub(crate) fn write(
    caller: &mut Caller<'_, HostState>,
    function: &'static str,
    ptr: i32,
    bytes: &[u8],
) -> Result<(), HostFault> {
    let memory = memory(caller, function)?;
    let data = memory.data_mut(&mut *caller);
    let range = range(function, ptr, bytes.len() as u64, data.len())?;
    data[range].copy_from_slice(bytes);
    Ok(())
}

fn trap(fault: HostFault) -> wasmtime::Error {
    wasmtime::Error::new(fault)
}

fn len_i32(len: usize) -> i32 {
    // waPC guests are wasm32: a buffer can never exceed 4 GiB, and what the host hands back
    // is bounded by the log and fixture sizes; saturate rather than wrap.
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// Defines the nine `wapc` imports in `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        WAPC_MODULE,
        "__guest_request",
        |mut caller: Caller<'_, HostState>, op_ptr: i32, msg_ptr: i32| -> wasmtime::Result<()> {
            let operation = std::mem::take(&mut caller.data_mut().operation);
            let payload = std::mem::take(&mut caller.data_mut().payload);
            let written = write(&mut caller, "__guest_request", op_ptr, &operation)
                .and_then(|()| write(&mut caller, "__guest_request", msg_ptr, &payload));
            let state = caller.data_mut();
            state.operation = operation;
            state.payload = payload;
            written.map_err(trap)
        },
    )?;

    linker.func_wrap(
        WAPC_MODULE,
        "__guest_response",
        |mut caller: Caller<'_, HostState>, ptr: i32, len: i32| -> wasmtime::Result<()> {
            let bytes = read(&mut caller, "__guest_response", ptr, len).map_err(trap)?;
            caller.data_mut().guest_response = Some(bytes);
            Ok(())
        },
    )?;

    linker.func_wrap(
        WAPC_MODULE,
        "__guest_error",
        |mut caller: Caller<'_, HostState>, ptr: i32, len: i32| -> wasmtime::Result<()> {
            let bytes = read(&mut caller, "__guest_error", ptr, len).map_err(trap)?;
            caller.data_mut().guest_error = Some(String::from_utf8_lossy(&bytes).into_owned());
            Ok(())
        },
    )?;

    linker.func_wrap(
        WAPC_MODULE,
        "__host_call",
        |mut caller: Caller<'_, HostState>,
         bd_ptr: i32,
         bd_len: i32,
         ns_ptr: i32,
         ns_len: i32,
         op_ptr: i32,
         op_len: i32,
         ptr: i32,
         len: i32|
         -> wasmtime::Result<i32> {
            const F: &str = "__host_call";
            let binding = read(&mut caller, F, bd_ptr, bd_len).map_err(trap)?;
            let namespace = read(&mut caller, F, ns_ptr, ns_len).map_err(trap)?;
            let operation = read(&mut caller, F, op_ptr, op_len).map_err(trap)?;
            let payload = read(&mut caller, F, ptr, len).map_err(trap)?;
            let binding = String::from_utf8_lossy(&binding).into_owned();
            let namespace = String::from_utf8_lossy(&namespace).into_owned();
            let operation = String::from_utf8_lossy(&operation).into_owned();

            let state = caller.data_mut();
            state.host_response = None;
            state.host_error = None;
            let context = state.context.clone();
            let outcome = callbacks::dispatch(
                &context,
                &mut state.log,
                &binding,
                &namespace,
                &operation,
                &payload,
            );
            state.record_host_call(&binding, &namespace, &operation, &payload, &outcome);
            Ok(match outcome {
                Ok(bytes) => {
                    state.host_response = Some(bytes);
                    1
                }
                Err(message) => {
                    state.host_error = Some(message);
                    0
                }
            })
        },
    )?;

    linker.func_wrap(
        WAPC_MODULE,
        "__host_response_len",
        |caller: Caller<'_, HostState>| -> i32 {
            len_i32(caller.data().host_response.as_ref().map_or(0, Vec::len))
        },
    )?;

    linker.func_wrap(
        WAPC_MODULE,
        "__host_response",
        |mut caller: Caller<'_, HostState>, ptr: i32| -> wasmtime::Result<()> {
            if let Some(bytes) = caller.data_mut().host_response.take() {
                let written = write(&mut caller, "__host_response", ptr, &bytes);
                caller.data_mut().host_response = Some(bytes);
                written.map_err(trap)?;
            }
            Ok(())
        },
    )?;

    linker.func_wrap(
        WAPC_MODULE,
        "__host_error_len",
        |caller: Caller<'_, HostState>| -> i32 {
            len_i32(caller.data().host_error.as_ref().map_or(0, String::len))
        },
    )?;

    linker.func_wrap(
        WAPC_MODULE,
        "__host_error",
        |mut caller: Caller<'_, HostState>, ptr: i32| -> wasmtime::Result<()> {
            if let Some(message) = caller.data_mut().host_error.take() {
                let written = write(&mut caller, "__host_error", ptr, message.as_bytes());
                caller.data_mut().host_error = Some(message);
                written.map_err(trap)?;
            }
            Ok(())
        },
    )?;

    linker.func_wrap(
        WAPC_MODULE,
        "__console_log",
        |mut caller: Caller<'_, HostState>, ptr: i32, len: i32| -> wasmtime::Result<()> {
            let bytes = read(&mut caller, "__console_log", ptr, len).map_err(trap)?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            caller.data_mut().log.push(LogSource::Console, None, text);
            Ok(())
        },
    )?;

    Ok(())
}
