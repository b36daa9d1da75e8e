//! The WASI preview-1 (`wasi_snapshot_preview1`) imports a Rust `wasm32-wasip1` policy links
//! against, written for the harness: they behave like the WASI context policy-server gives a
//! waPC policy — no arguments, no environment, no preopened directories — with stdout and
//! stderr captured into the evaluation's log instead of the server's stdio. Any other
//! preview-1 function a module imports is answered with `ENOSYS` (or `EBADF` for file
//! descriptor and path functions), so such a module still links.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use wasmtime::{Caller, ExternType, FuncType, Linker, Module, Val, ValType};

use crate::state::HostState;
use crate::wapc::{self, HostFault};

/// The import module name of WASI preview 1.
pub const WASI_MODULE: &str = "wasi_snapshot_preview1";

const ESUCCESS: i32 = 0;
const EBADF: i32 = 8;
const EFAULT: i32 = 21;
const EINVAL: i32 = 28;
const ENOSYS: i32 = 52;
const ESPIPE: i32 = 70;

const FILETYPE_CHARACTER_DEVICE: u8 = 2;

/// The functions this module implements; every other preview-1 import gets a stub.
pub(crate) const IMPLEMENTED: &[&str] = &[
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_close",
    "fd_fdstat_get",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_read",
    "fd_seek",
    "fd_write",
    "proc_exit",
    "random_get",
    "sched_yield",
];

fn start_instant() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// Writes `bytes` at `ptr`, answering `EFAULT` when the buffer is out of bounds (as WASI
/// implementations do) and trapping only when the module has no memory at all.
fn put(
    caller: &mut Caller<'_, HostState>,
    function: &'static str,
    ptr: i32,
    bytes: &[u8],
) -> wasmtime::Result<i32> {
    match wapc::write(caller, function, ptr, bytes) {
        Ok(()) => Ok(ESUCCESS),
        Err(HostFault::OutOfBounds { .. }) => Ok(EFAULT),
        Err(fault) => Err(wasmtime::Error::new(fault)),
    }
}

fn is_stdio(fd: i32) -> bool {
    (0..=2).contains(&fd)
}

/// Defines the implemented preview-1 functions in `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        WASI_MODULE,
        "args_sizes_get",
        |mut caller: Caller<'_, HostState>, argc: i32, buf_size: i32| -> wasmtime::Result<i32> {
            let rc = put(&mut caller, "args_sizes_get", argc, &0u32.to_le_bytes())?;
            if rc != ESUCCESS {
                return Ok(rc);
            }
            put(&mut caller, "args_sizes_get", buf_size, &0u32.to_le_bytes())
        },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "args_get",
        |_caller: Caller<'_, HostState>, _argv: i32, _buf: i32| -> i32 { ESUCCESS },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "environ_sizes_get",
        |mut caller: Caller<'_, HostState>, count: i32, buf_size: i32| -> wasmtime::Result<i32> {
            let rc = put(&mut caller, "environ_sizes_get", count, &0u32.to_le_bytes())?;
            if rc != ESUCCESS {
                return Ok(rc);
            }
            put(
                &mut caller,
                "environ_sizes_get",
                buf_size,
                &0u32.to_le_bytes(),
            )
        },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "environ_get",
        |_caller: Caller<'_, HostState>, _environ: i32, _buf: i32| -> i32 { ESUCCESS },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "clock_res_get",
        |mut caller: Caller<'_, HostState>, id: i32, out: i32| -> wasmtime::Result<i32> {
            if !(0..=3).contains(&id) {
                return Ok(EINVAL);
            }
            put(&mut caller, "clock_res_get", out, &1000u64.to_le_bytes())
        },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "clock_time_get",
        |mut caller: Caller<'_, HostState>,
         id: i32,
         _precision: i64,
         out: i32|
         -> wasmtime::Result<i32> {
            let nanos: u64 = match id {
                0 => SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
                    .unwrap_or(0),
                1..=3 => u64::try_from(start_instant().elapsed().as_nanos()).unwrap_or(u64::MAX),
                _ => return Ok(EINVAL),
            };
            put(&mut caller, "clock_time_get", out, &nanos.to_le_bytes())
        },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "fd_close",
        |_caller: Caller<'_, HostState>, fd: i32| -> i32 {
            if is_stdio(fd) { ESUCCESS } else { EBADF }
        },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "fd_fdstat_get",
        |mut caller: Caller<'_, HostState>, fd: i32, out: i32| -> wasmtime::Result<i32> {
            if !is_stdio(fd) {
                return Ok(EBADF);
            }
            // struct fdstat { u8 filetype; u16 flags; u64 rights_base; u64 rights_inheriting }
            let mut stat = [0u8; 24];
            stat[0] = FILETYPE_CHARACTER_DEVICE;
            // fd_read (bit 1) for stdin, fd_write (bit 6) for stdout/stderr.
            let rights: u64 = if fd == 0 { 1 << 1 } else { 1 << 6 };
            stat[8..16].copy_from_slice(&rights.to_le_bytes());
            put(&mut caller, "fd_fdstat_get", out, &stat)
        },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "fd_prestat_get",
        |_caller: Caller<'_, HostState>, _fd: i32, _out: i32| -> i32 { EBADF },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "fd_prestat_dir_name",
        |_caller: Caller<'_, HostState>, _fd: i32, _path: i32, _len: i32| -> i32 { EBADF },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "fd_seek",
        |_caller: Caller<'_, HostState>, fd: i32, _offset: i64, _whence: i32, _out: i32| -> i32 {
            if is_stdio(fd) { ESPIPE } else { EBADF }
        },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "fd_read",
        |mut caller: Caller<'_, HostState>,
         fd: i32,
         _iovs: i32,
         _iovs_len: i32,
         nread: i32|
         -> wasmtime::Result<i32> {
            if fd != 0 {
                return Ok(EBADF);
            }
            // stdin of an evaluation is always at end of file.
            put(&mut caller, "fd_read", nread, &0u32.to_le_bytes())
        },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "fd_write",
        |mut caller: Caller<'_, HostState>,
         fd: i32,
         iovs: i32,
         iovs_len: i32,
         nwritten: i32|
         -> wasmtime::Result<i32> {
            const F: &str = "fd_write";
            if fd != 1 && fd != 2 {
                return Ok(EBADF);
            }
            let count = iovs_len as u32;
            let table = match wapc::read(&mut caller, F, iovs, (count.saturating_mul(8)) as i32) {
                Ok(table) => table,
                Err(HostFault::OutOfBounds { .. }) => return Ok(EFAULT),
                Err(fault) => return Err(wasmtime::Error::new(fault)),
            };
            let mut written: u32 = 0;
            for entry in table.chunks_exact(8) {
                let ptr = i32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
                let len = i32::from_le_bytes([entry[4], entry[5], entry[6], entry[7]]);
                let bytes = match wapc::read(&mut caller, F, ptr, len) {
                    Ok(bytes) => bytes,
                    Err(HostFault::OutOfBounds { .. }) => return Ok(EFAULT),
                    Err(fault) => return Err(wasmtime::Error::new(fault)),
                };
                written = written.saturating_add(bytes.len() as u32);
                caller.data_mut().write_stdio(fd == 2, &bytes);
            }
            put(&mut caller, F, nwritten, &written.to_le_bytes())
        },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "proc_exit",
        |_caller: Caller<'_, HostState>, code: i32| -> wasmtime::Result<()> {
            Err(wasmtime::Error::new(HostFault::ProcExit { code }))
        },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "random_get",
        |mut caller: Caller<'_, HostState>, buf: i32, len: i32| -> wasmtime::Result<i32> {
            let memory = wapc::memory(&mut caller, "random_get").map_err(wasmtime::Error::new)?;
            let (data, state) = memory.data_and_store_mut(&mut caller);
            match wapc::range("random_get", buf, u64::from(len as u32), data.len()) {
                Ok(range) => {
                    state.rng.fill(&mut data[range]);
                    Ok(ESUCCESS)
                }
                Err(_) => Ok(EFAULT),
            }
        },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "sched_yield",
        |_caller: Caller<'_, HostState>| -> i32 { ESUCCESS },
    )?;
    Ok(())
}

/// Preview-1 functions `module` imports that [`add_to_linker`] does not define.
pub(crate) fn missing_imports(module: &Module) -> Vec<(String, FuncType)> {
    module
        .imports()
        .filter(|import| import.module() == WASI_MODULE && !IMPLEMENTED.contains(&import.name()))
        .filter_map(|import| match import.ty() {
            ExternType::Func(ty) => Some((import.name().to_owned(), ty)),
            _ => None,
        })
        .collect()
}

/// Defines a stub for each preview-1 function in `missing`: it answers `EBADF` for file
/// descriptor and path functions and `ENOSYS` for the rest (there are no descriptors beyond
/// stdio, and nothing else is offered), or traps with a clear message if its signature does
/// not return an errno.
pub(crate) fn define_stubs(
    linker: &mut Linker<HostState>,
    missing: Vec<(String, FuncType)>,
) -> wasmtime::Result<()> {
    for (name, ty) in missing {
        let errno = if name.starts_with("fd_") || name.starts_with("path_") {
            EBADF
        } else {
            ENOSYS
        };
        let returns_errno = ty.results().len() == 1
            && ty
                .results()
                .next()
                .is_some_and(|result| matches!(result, ValType::I32));
        let function = name.clone();
        linker.func_new(
            WASI_MODULE,
            &name,
            ty,
            move |_caller: Caller<'_, HostState>, _params: &[Val], results: &mut [Val]| {
                if returns_errno && let Some(slot) = results.first_mut() {
                    *slot = Val::I32(errno);
                    return Ok(());
                }
                Err(wasmtime::Error::msg(format!(
                    "the harness does not provide wasi function {function}"
                )))
            },
        )?;
    }
    Ok(())
}
