//! The host-side state of one evaluation: the waPC exchange buffers, the captured log, the
//! record of host calls and the limiter, all owned by the evaluation's `Store` and thrown
//! away with it.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use serde::Serialize;

use crate::callbacks::HostContext;
use crate::limits::MemoryLimiter;
pub(crate) use crate::log::LogSink;
pub use crate::log::{LogEntry, LogSource, MAX_LOG_BYTES, MAX_LOG_LINES};

/// Most host calls kept in [`crate::Evaluation::host_calls`]; later ones are only counted.
pub const MAX_HOST_CALL_RECORDS: usize = 1000;

/// Longest payload or answer kept in a [`HostCallRecord`].
const MAX_RECORDED_BYTES: usize = 4096;

/// One `__host_call` the guest made, and what it got back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostCallRecord {
    /// waPC binding (`kubewarden`).
    pub binding: String,
    /// Capability namespace (`kubernetes`, `oci`, …).
    pub namespace: String,
    /// Operation (`get_resource`, `v1/manifest_digest`, …).
    pub operation: String,
    /// The request payload (lossy UTF-8, truncated).
    pub payload: String,
    /// The answer (lossy UTF-8, truncated) or the error string the guest received.
    pub outcome: Result<String, String>,
}

/// Host state of one evaluation.
pub(crate) struct HostState {
    /// Operation name handed over by `__guest_request`.
    pub(crate) operation: Vec<u8>,
    /// Payload handed over by `__guest_request`.
    pub(crate) payload: Vec<u8>,
    pub(crate) guest_response: Option<Vec<u8>>,
    pub(crate) guest_error: Option<String>,
    pub(crate) host_response: Option<Vec<u8>>,
    pub(crate) host_error: Option<String>,
    pub(crate) log: LogSink,
    pub(crate) host_calls: Vec<HostCallRecord>,
    pub(crate) host_call_count: u64,
    pub(crate) context: Arc<HostContext>,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) rng: Rng,
    /// Partial line written to stdout/stderr, flushed on newline or at the end.
    pub(crate) stdout_partial: Vec<u8>,
    pub(crate) stderr_partial: Vec<u8>,
}

/// Randomness for WASI `random_get`: the OS generator, or a seeded one for reproducible runs.
pub(crate) enum Rng {
    Os,
    Seeded(Box<StdRng>),
}

impl Rng {
    pub(crate) fn new(seed: Option<u64>) -> Self {
        match seed {
            Some(seed) => Rng::Seeded(Box::new(StdRng::seed_from_u64(seed))),
            None => Rng::Os,
        }
    }

    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        match self {
            Rng::Os => rand::rng().fill_bytes(buf),
            Rng::Seeded(rng) => rng.fill_bytes(buf),
        }
    }
}

impl HostState {
    pub(crate) fn new(
        operation: &str,
        payload: &[u8],
        context: Arc<HostContext>,
        memory_cap: usize,
        seed: Option<u64>,
    ) -> Self {
        HostState {
            operation: operation.as_bytes().to_vec(),
            payload: payload.to_vec(),
            guest_response: None,
            guest_error: None,
            host_response: None,
            host_error: None,
            log: LogSink::default(),
            host_calls: Vec::new(),
            host_call_count: 0,
            context,
            limiter: MemoryLimiter::new(memory_cap),
            rng: Rng::new(seed),
            stdout_partial: Vec::new(),
            stderr_partial: Vec::new(),
        }
    }

    pub(crate) fn record_host_call(
        &mut self,
        binding: &str,
        namespace: &str,
        operation: &str,
        payload: &[u8],
        outcome: &Result<Vec<u8>, String>,
    ) {
        self.host_call_count += 1;
        if self.host_calls.len() >= MAX_HOST_CALL_RECORDS {
            return;
        }
        self.host_calls.push(HostCallRecord {
            binding: binding.to_owned(),
            namespace: namespace.to_owned(),
            operation: operation.to_owned(),
            payload: truncated(payload),
            outcome: match outcome {
                Ok(bytes) => Ok(truncated(bytes)),
                Err(e) => Err(e.clone()),
            },
        });
    }

    /// Appends bytes written to fd 1 or 2, splitting them into lines.
    pub(crate) fn write_stdio(&mut self, stderr: bool, bytes: &[u8]) {
        let (source, partial) = if stderr {
            (LogSource::Stderr, &mut self.stderr_partial)
        } else {
            (LogSource::Stdout, &mut self.stdout_partial)
        };
        partial.extend_from_slice(bytes);
        while let Some(pos) = partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = partial.drain(..=pos).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            self.log.push(source, None, text);
        }
        // A guest printing without newlines must not grow this buffer without bound.
        if partial.len() > MAX_LOG_BYTES {
            let text = String::from_utf8_lossy(partial).into_owned();
            partial.clear();
            self.log.push(source, None, text);
        }
    }

    /// Flushes partial stdout/stderr lines into the log.
    pub(crate) fn flush_stdio(&mut self) {
        for (source, partial) in [
            (LogSource::Stdout, std::mem::take(&mut self.stdout_partial)),
            (LogSource::Stderr, std::mem::take(&mut self.stderr_partial)),
        ] {
            if !partial.is_empty() {
                self.log
                    .push(source, None, String::from_utf8_lossy(&partial).into_owned());
            }
        }
    }
}

fn truncated(bytes: &[u8]) -> String {
    if bytes.len() <= MAX_RECORDED_BYTES {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        format!(
            "{}… ({} bytes in all)",
            String::from_utf8_lossy(&bytes[..MAX_RECORDED_BYTES]),
            bytes.len()
        )
    }
}
