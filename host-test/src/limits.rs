//! The bounds every evaluation runs within: an epoch (wall-clock) deadline, a cap on linear
//! memory and, when asked for, a fuel budget, plus the resource limiter that enforces the memory cap and reports
//! it by name instead of letting a guest's allocation fail silently.

use std::fmt;
use std::time::Duration;

use wasmtime::ResourceLimiter;

/// How often the background thread bumps the engine epoch. A deadline is honoured to within
/// one tick.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Default deadline, as policy-server's `--policy-timeout 2`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// A generous fuel budget for callers that want fuel metering (it is off by default, as in
/// policy-server): far beyond what any real policy uses (they need millions, not billions),
/// and large enough that a runaway loop meets the 2 s deadline first. Lower it to get a
/// deterministic, hardware-independent bound.
pub const DEFAULT_FUEL: u64 = 10_000_000_000;

/// Default cap on a guest's linear memory.
pub const DEFAULT_MEMORY_BYTES: usize = 256 * 1024 * 1024;

/// The text policy-server answers with when an evaluation exceeds its deadline.
pub const TIMEOUT_MESSAGE: &str =
    "Policy execution interrupted because it exceeded the allowed execution time";

/// What one evaluation (instantiation, `_start`, `wapc_init` and `__guest_call` together)
/// may consume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock deadline, enforced with epoch interruption.
    pub timeout: Duration,
    /// Fuel budget (roughly one unit per executed wasm instruction); `None` (the default)
    /// runs without fuel metering, as policy-server and kwctl do (policy-evaluator enables
    /// epoch interruption only). Metering costs time in every function and loop, so figures
    /// measured with it overstate what users pay.
    pub fuel: Option<u64>,
    /// Cap on the size of the guest's linear memory, in bytes.
    pub memory_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: DEFAULT_TIMEOUT,
            fuel: None,
            memory_bytes: DEFAULT_MEMORY_BYTES,
        }
    }
}

impl Limits {
    /// The deadline expressed in epoch ticks (at least one).
    pub(crate) fn deadline_ticks(&self) -> u64 {
        let tick = EPOCH_TICK.as_nanos().max(1);
        let ticks = self.timeout.as_nanos().div_ceil(tick);
        u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
    }
}

/// A byte count printed in the unit a person would use (`256 MiB`, `64 KiB`, `12 bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes(pub usize);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KIB: usize = 1024;
        const MIB: usize = 1024 * 1024;
        let n = self.0;
        if n >= MIB && n.is_multiple_of(MIB) {
            write!(f, "{} MiB", n / MIB)
        } else if n >= KIB && n.is_multiple_of(KIB) {
            write!(f, "{} KiB", n / KIB)
        } else {
            write!(f, "{n} bytes")
        }
    }
}

/// The guest tried to grow its linear memory past the configured cap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("exceeded memory cap of {cap} (linear memory would grow to {desired})")]
pub struct MemoryCapExceeded {
    /// The configured cap.
    pub cap: Bytes,
    /// The size the guest asked for.
    pub desired: Bytes,
}

/// Most table elements one evaluation may hold; real policies use a few thousand.
const MAX_TABLE_ELEMENTS: usize = 1_000_000;

/// Enforces [`Limits::memory_bytes`]. Growing past the cap raises a trap carrying
/// [`MemoryCapExceeded`], so the evaluation ends with an error naming the cap rather than
/// with whatever a guest's allocator does when `memory.grow` returns -1.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    cap: usize,
}

impl MemoryLimiter {
    pub(crate) fn new(cap: usize) -> Self {
        MemoryLimiter { cap }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.cap {
            return Err(wasmtime::Error::new(MemoryCapExceeded {
                cap: Bytes(self.cap),
                desired: Bytes(desired),
            }));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
