//! A progress bar for long runs that draws only when stderr is a terminal.
//!
//! [`Progress`] wraps an `indicatif` bar. It stays completely silent when
//! stderr is not a terminal (CI logs, redirected output) and, on a terminal,
//! appears only once a run has lasted [`SHOW_AFTER`], so short runs print
//! nothing either. It is `Send + Sync`: rayon workers can tick one shared bar.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a run must last before its bar is drawn.
pub const SHOW_AFTER: Duration = Duration::from_secs(2);

/// A progress counter with an optional terminal bar; see the module docs.
#[derive(Debug)]
pub struct Progress {
    /// The bar, or `None` when stderr is not a terminal.
    bar: Option<ProgressBar>,
    /// Units done so far (kept even without a bar).
    position: AtomicU64,
    /// Whether the bar has been attached to stderr yet.
    shown: AtomicBool,
    started: Instant,
}

impl Progress {
    /// A counter for `total` units of work labelled `message`; draws a bar on
    /// stderr only if stderr is a terminal and the run lasts [`SHOW_AFTER`].
    pub fn new(total: u64, message: &str) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
            let style = ProgressStyle::with_template(
                "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} (eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(message.to_string());
            bar
        });
        Progress {
            bar,
            position: AtomicU64::new(0),
            shown: AtomicBool::new(false),
            started: Instant::now(),
        }
    }

    /// A counter that never draws, whatever stderr is (for tests and quiet modes).
    pub fn hidden() -> Progress {
        Progress {
            bar: None,
            position: AtomicU64::new(0),
            shown: AtomicBool::new(false),
            started: Instant::now(),
        }
    }

    /// Records `n` more units done; callable from many threads at once.
    pub fn inc(&self, n: u64) {
        self.position.fetch_add(n, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc(n);
            if !self.shown.load(Ordering::Relaxed)
                && self.started.elapsed() >= SHOW_AFTER
                && !self.shown.swap(true, Ordering::Relaxed)
            {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
        }
    }

    /// Units done so far (the sum of all `inc` calls).
    pub fn position(&self) -> u64 {
        self.position.load(Ordering::Relaxed)
    }

    /// Marks the work as done; a bar that was shown is left on screen in its
    /// final state, one that never appeared stays invisible.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            if self.shown.load(Ordering::Relaxed) {
                bar.finish();
                // indicatif leaves the cursor on the bar's line; what is
                // printed next starts on a line of its own.
                eprintln!();
            } else {
                bar.finish_and_clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn rayon_workers_can_tick_one_bar() {
        let progress = Progress::new(1000, "test");
        (0..1000u64).into_par_iter().for_each(|_| progress.inc(1));
        progress.finish();
        assert_eq!(progress.position(), 1000);
        let hidden = Progress::hidden();
        hidden.inc(2);
        hidden.finish();
        assert_eq!(hidden.position(), 2);
    }
}
