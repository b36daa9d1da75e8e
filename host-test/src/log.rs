//! The guest output captured during an evaluation, bounded: where each line came from, the
//! lines kept, and the sink that keeps them.

use serde::Serialize;

/// Most bytes of log one evaluation keeps; anything past it is dropped and counted.
pub const MAX_LOG_BYTES: usize = 1024 * 1024;

/// Most log lines one evaluation keeps.
pub const MAX_LOG_LINES: usize = 10_000;

/// Where a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LogSource {
    /// `wapc.__console_log`.
    Console,
    /// WASI `fd_write` to fd 1.
    Stdout,
    /// WASI `fd_write` to fd 2.
    Stderr,
    /// The `kubewarden/tracing/log` host capability.
    Tracing,
    /// The harness itself (for example a `tracing/log` payload it could not read).
    Harness,
}

/// One line of guest output captured during an evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// Where it came from.
    pub source: LogSource,
    /// Log level when the guest gave one (`tracing/log`), else `None`.
    pub level: Option<String>,
    /// The text.
    pub text: String,
}

/// Captured log, bounded by [`MAX_LOG_BYTES`].
#[derive(Debug, Default)]
pub(crate) struct LogSink {
    pub(crate) entries: Vec<LogEntry>,
    bytes: usize,
    pub(crate) dropped: usize,
}

impl LogSink {
    pub(crate) fn push(&mut self, source: LogSource, level: Option<String>, text: String) {
        if self.entries.len() >= MAX_LOG_LINES
            || self.bytes.saturating_add(text.len()) > MAX_LOG_BYTES
        {
            self.dropped += 1;
            return;
        }
        self.bytes += text.len();
        self.entries.push(LogEntry {
            source,
            level,
            text,
        });
    }

    pub(crate) fn into_entries(mut self) -> Vec<LogEntry> {
        if self.dropped > 0 {
            self.entries.push(LogEntry {
                source: LogSource::Harness,
                level: None,
                text: format!(
                    "{} further log lines dropped: the log of one evaluation is capped at {} lines and {} bytes",
                    self.dropped, MAX_LOG_LINES, MAX_LOG_BYTES
                ),
            });
        }
        self.entries
    }
}
