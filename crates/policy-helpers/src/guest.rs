//! The guest side of the waPC protocol, written for exactly what a policy module needs.
//!
//! A fresh instance serves one call (policy-server instantiates a module, runs `wapc_init` and
//! then `__guest_call` for every request), so nothing here prepares anything in advance:
//! `wapc_init` is empty and `__guest_call` matches the operation name directly instead of
//! looking it up in a registry built at start-up. Imports, exports and error texts are those
//! of the waPC protocol as Kubewarden's engine implements it (`reference/kubewarden-wire.md`):
//! the operation name and payload are copied in with `__guest_request`, an answer goes back
//! with `__guest_response` (return 1), a failure with `__guest_error` (return 0), and an
//! unknown operation fails with `No handler registered for function <op>`.
//!
//! Only the engine's target (`wasm32-wasip1`) has a waPC host; elsewhere [`host_call`] is not
//! compiled and [`crate::host`] answers from a test handler.

use crate::prelude::*;
/// What one operation answers: the response bytes, or the error text the host reports.
pub type CallResult = Result<Vec<u8>, String>;

/// The `protocol_version` answer: the JSON string `"v1"` (Kubewarden policy protocol v1).
pub const PROTOCOL_VERSION: &[u8] = b"\"v1\"";

/// The error text of an operation the module does not have (the waPC guest's own wording; a
/// name that is not UTF-8 is not repeated).
pub fn unknown_operation(op: &[u8]) -> String {
    format!(
        "No handler registered for function {}",
        core::str::from_utf8(op).unwrap_or("(a name that is not UTF-8)")
    )
}

#[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
mod imports {
    #[link(wasm_import_module = "wapc")]
    unsafe extern "C" {
        pub fn __guest_request(op_ptr: *mut u8, ptr: *mut u8);
        pub fn __guest_response(ptr: *const u8, len: usize);
        pub fn __guest_error(ptr: *const u8, len: usize);
        pub fn __host_call(
            bd_ptr: *const u8,
            bd_len: usize,
            ns_ptr: *const u8,
            ns_len: usize,
            op_ptr: *const u8,
            op_len: usize,
            ptr: *const u8,
            len: usize,
        ) -> usize;
        pub fn __host_response_len() -> usize;
        pub fn __host_response(ptr: *mut u8);
        pub fn __host_error_len() -> usize;
        pub fn __host_error(ptr: *mut u8);
    }
}

/// Serves one `__guest_call`: reads the operation name and payload from the host, runs
/// `dispatch` and hands its answer or error back. Returns what `__guest_call` returns.
#[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
pub fn serve(op_len: i32, req_len: i32, dispatch: fn(&[u8], &[u8]) -> CallResult) -> i32 {
    let op_len = usize::try_from(op_len).unwrap_or(0);
    let req_len = usize::try_from(req_len).unwrap_or(0);
    let mut op = vec![0u8; op_len];
    let mut payload = vec![0u8; req_len];
    // SAFETY: both buffers are exactly as long as the host was told; it writes that many bytes.
    unsafe { imports::__guest_request(op.as_mut_ptr(), payload.as_mut_ptr()) };
    match dispatch(&op, &payload) {
        Ok(answer) => {
            // SAFETY: the host copies `len` bytes from a live buffer.
            unsafe { imports::__guest_response(answer.as_ptr(), answer.len()) };
            1
        }
        Err(error) => {
            // SAFETY: as above.
            unsafe { imports::__guest_error(error.as_ptr(), error.len()) };
            0
        }
    }
}

/// One host call (`binding`, `namespace`, `operation`, payload).
///
/// # Errors
/// The host's error text.
#[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
pub fn host_call(binding: &str, namespace: &str, operation: &str, payload: &[u8]) -> CallResult {
    // SAFETY: every pointer/length pair is a live slice; the host only reads them.
    let ok = unsafe {
        imports::__host_call(
            binding.as_ptr(),
            binding.len(),
            namespace.as_ptr(),
            namespace.len(),
            operation.as_ptr(),
            operation.len(),
            payload.as_ptr(),
            payload.len(),
        )
    };
    if ok == 1 {
        // SAFETY: the host writes exactly the length it reported.
        let mut out = vec![0u8; unsafe { imports::__host_response_len() }];
        unsafe { imports::__host_response(out.as_mut_ptr()) };
        Ok(out)
    } else {
        // SAFETY: as above.
        let mut out = vec![0u8; unsafe { imports::__host_error_len() }];
        unsafe { imports::__host_error(out.as_mut_ptr()) };
        Err(String::from_utf8_lossy(&out).into_owned())
    }
}

/// A panic is a bug (no input makes a rule panic: RELIABILITY.md), and the module, built
/// without std, handles it itself: `policy panicked: <message and place>` is written to the
/// engine's stderr (WASI `fd_write` on descriptor 2: policy-server's log, as std's handler
/// wrote it) and handed to the host as the waPC error, then the module traps, so the engine
/// fails the request closed and does not reuse the instance. The message is written into a
/// fixed buffer (cut at 512 bytes), so a panic raised because memory ran out does not need
/// memory.
#[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    use core::fmt::Write as _;
    struct Buffer {
        bytes: [u8; 512],
        len: usize,
    }
    impl core::fmt::Write for Buffer {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let room = self.bytes.len() - self.len;
            let mut take = s.len().min(room);
            while !s.is_char_boundary(take) {
                take -= 1;
            }
            self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
            self.len += take;
            Ok(())
        }
    }
    let mut b = Buffer {
        bytes: [0; 512],
        len: 0,
    };
    let _ = write!(b, "policy panicked: {info}");
    #[repr(C)]
    struct Ciovec {
        buf: *const u8,
        len: usize,
    }
    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    unsafe extern "C" {
        fn fd_write(fd: u32, iovs: *const Ciovec, iovs_len: usize, written: *mut usize) -> u16;
    }
    let lines = [
        Ciovec {
            buf: b.bytes.as_ptr(),
            len: b.len,
        },
        Ciovec {
            buf: b"\n".as_ptr(),
            len: 1,
        },
    ];
    let mut written = 0;
    // SAFETY: the host reads the two buffers the vectors describe, both live here; one
    // attempt, whatever it wrote (a short write only cuts the log line).
    unsafe { fd_write(2, lines.as_ptr(), lines.len(), &mut written) };
    // SAFETY: the host copies `len` bytes from `ptr`, which point into `b`.
    unsafe { imports::__guest_error(b.bytes.as_ptr(), b.len) };
    core::arch::wasm32::unreachable()
}

/// `memcmp` for the compiler's own calls (slice and string comparison): the modules link no C
/// library, and the compiler's built-ins provide `memcpy`, `memmove` and `memset` but not this
/// one on this target. A plain loop over bytes (LLVM turns loops into `memcpy` and `memset`,
/// never into `memcmp`, so this does not call itself).
///
/// # Safety
/// `a` and `b` are readable for `n` bytes.
#[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: `i < n`, both readable for `n` bytes.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// Seconds since the Unix epoch by the engine's wall clock (WASI `clock_time_get`, realtime),
/// or `None` when the host refuses.
pub fn unix_seconds() -> Option<i64> {
    #[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
    {
        #[link(wasm_import_module = "wasi_snapshot_preview1")]
        unsafe extern "C" {
            fn clock_time_get(id: u32, precision: u64, time: *mut u64) -> u16;
        }
        let mut nanos = 0u64;
        // SAFETY: the host writes one u64 at the pointer given; clock 0 is REALTIME.
        let errno = unsafe { clock_time_get(0, 1_000_000_000, &mut nanos) };
        (errno == 0).then(|| i64::try_from(nanos / 1_000_000_000).unwrap_or(i64::MAX))
    }
    #[cfg(not(all(target_arch = "wasm32", target_os = "wasi")))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}
