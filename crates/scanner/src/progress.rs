//! A progress bar for long scans, drawn on one terminal line (stderr) and only there: it
//! appears once a scan has run for a moment, redraws a few times a second, and erases
//! itself at the end, so that piped output never carries it.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a scan runs before the bar appears.
pub const DELAY: Duration = Duration::from_millis(300);

/// The shortest time between two redraws.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// Width of the bar itself, in cells.
const WIDTH: usize = 30;

/// The text of the bar for `done` of `total` evaluations.
pub fn line(done: usize, total: usize, elapsed: Duration) -> String {
    line_of(done, total, elapsed, "evaluations")
}

/// The text of the bar for `done` of `total` things called `unit`.
pub fn line_of(done: usize, total: usize, elapsed: Duration, unit: &str) -> String {
    let total = total.max(1);
    let done = done.min(total);
    let filled = done * WIDTH / total;
    format!(
        "[{}{}] {done}/{total} {unit}, {:.1}s",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        elapsed.as_secs_f64()
    )
}

struct State {
    last_draw: Option<Instant>,
    shown: bool,
}

/// A progress bar writing to `out` (a terminal).
pub struct ProgressBar<W: Write + Send> {
    out: Mutex<(W, State)>,
    start: Instant,
    delay: Duration,
    unit: &'static str,
}

impl<W: Write + Send> ProgressBar<W> {
    /// A bar that appears after [`DELAY`].
    pub fn new(out: W) -> Self {
        Self::with_delay(out, DELAY)
    }

    /// The same bar counting `unit` (`evaluations` by default).
    #[must_use]
    pub fn counting(mut self, unit: &'static str) -> Self {
        self.unit = unit;
        self
    }

    /// A bar that appears after `delay`.
    pub fn with_delay(out: W, delay: Duration) -> Self {
        ProgressBar {
            out: Mutex::new((
                out,
                State {
                    last_draw: None,
                    shown: false,
                },
            )),
            start: Instant::now(),
            delay,
            unit: "evaluations",
        }
    }

    /// Records that `done` of `total` evaluations are finished, redrawing when due.
    pub fn update(&self, done: usize, total: usize) {
        let now = Instant::now();
        let elapsed = now.duration_since(self.start);
        if elapsed < self.delay {
            return;
        }
        let Ok(mut guard) = self.out.lock() else {
            return;
        };
        let (out, state) = &mut *guard;
        let due = state
            .last_draw
            .is_none_or(|last| now.duration_since(last) >= INTERVAL);
        if !due && done < total {
            return;
        }
        state.last_draw = Some(now);
        state.shown = true;
        let _ = write!(out, "\r\x1b[2K{}", line_of(done, total, elapsed, self.unit));
        let _ = out.flush();
    }

    /// Erases the bar if it was drawn.
    pub fn finish(&self) {
        if let Ok(mut guard) = self.out.lock() {
            let (out, state) = &mut *guard;
            if state.shown {
                let _ = write!(out, "\r\x1b[2K");
                let _ = out.flush();
                state.shown = false;
            }
        }
    }

    /// The writer (for tests).
    pub fn into_inner(self) -> W {
        match self.out.into_inner() {
            Ok((out, _)) => out,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_after_the_delay_and_erases_itself() {
        let bar = ProgressBar::with_delay(Vec::new(), Duration::ZERO);
        bar.update(5, 10);
        bar.update(10, 10);
        bar.finish();
        let text = String::from_utf8(bar.into_inner()).expect("utf-8");
        assert!(
            text.starts_with("\r\x1b[2K[###############---------------] 5/10 evaluations, "),
            "{text:?}"
        );
        assert!(text.contains("[##############################] 10/10 evaluations"));
        assert!(text.ends_with("\r\x1b[2K"));
    }

    #[test]
    fn a_quick_scan_draws_nothing() {
        let bar = ProgressBar::with_delay(Vec::new(), Duration::from_secs(3600));
        bar.update(1, 2);
        bar.update(2, 2);
        bar.finish();
        assert!(bar.into_inner().is_empty());
    }
}
