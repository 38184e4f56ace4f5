//! Progress of one training run on standard error: an `indicatif` bar (passes, loss, elapsed, ETA) on a terminal, at most one plain line per tenth of the budget otherwise.

use std::io::IsTerminal;
use std::time::Instant;

use dopamine_train::Record;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a run trains, as the progress display measures it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Total {
    /// Forward-pass equivalents.
    Passes(u64),
    /// Wall-clock seconds of training.
    Seconds(f64),
}

/// Plain lines a run prints at most (one per this fraction of the budget).
const PLAIN_LINES: u32 = 10;

/// Ticks of the bar (its position is the fraction of the budget done).
const BAR_TICKS: u64 = 1000;

/// The progress of one run: a bar on a terminal, plain lines otherwise.
pub struct Progress {
    label: String,
    total: Total,
    bar: Option<ProgressBar>,
    /// Tenths of the budget already reported in plain lines.
    reported: u32,
    start: Instant,
}

impl Progress {
    /// A display for a run of `total` called `label`; a bar when standard
    /// error is a terminal.
    pub fn new(label: &str, total: Total) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(BAR_TICKS), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{prefix} [{bar:30}] {percent:>3}% {msg} [{elapsed_precise}, ETA {eta}]",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(label.to_string());
            bar
        });
        Progress {
            label: label.to_string(),
            total,
            bar,
            reported: 0,
            start: Instant::now(),
        }
    }

    /// The fraction of the budget `record` has used, in `[0, 1]`.
    fn fraction(&self, record: &Record) -> f64 {
        let f = match self.total {
            Total::Passes(p) => (record.forward_passes + record.backward_passes) as f64 / p as f64,
            Total::Seconds(s) => record.seconds / s,
        };
        f.clamp(0.0, 1.0)
    }

    /// Shows `record`.
    pub fn observe(&mut self, record: &Record) {
        let fraction = self.fraction(record);
        let passes = record.forward_passes + record.backward_passes;
        let done = match self.total {
            Total::Passes(p) => format!("{passes}/{p} passes"),
            Total::Seconds(s) => format!("{passes} passes, {:.1}/{s} s", record.seconds),
        };
        let message = format!("{done}, loss {:.4e}", record.loss);
        if let Some(bar) = &self.bar {
            bar.set_position((fraction * BAR_TICKS as f64) as u64);
            bar.set_message(message);
        } else {
            let tenth = (fraction * f64::from(PLAIN_LINES)).floor() as u32;
            if tenth > self.reported {
                self.reported = tenth;
                let elapsed = self.start.elapsed().as_secs_f64();
                let eta = if fraction > 0.0 {
                    elapsed * (1.0 - fraction) / fraction
                } else {
                    f64::NAN
                };
                eprintln!(
                    "{}: {:>3.0}% {message}, {elapsed:.1} s elapsed, ETA {eta:.1} s",
                    self.label,
                    fraction * 100.0
                );
            }
        }
    }

    /// Removes the bar (plain lines stay).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(passes: u64, seconds: f64) -> Record {
        Record {
            forward_passes: passes,
            seconds,
            ..Record::default()
        }
    }

    #[test]
    fn fraction_follows_the_budget_and_plain_lines_come_once_per_tenth() {
        let mut p = Progress::new("t", Total::Passes(200));
        assert_eq!(p.fraction(&record(50, 9.0)), 0.25);
        assert_eq!(p.fraction(&record(400, 9.0)), 1.0);
        if p.bar.is_none() {
            p.observe(&record(10, 0.0));
            assert_eq!(p.reported, 0);
            p.observe(&record(50, 0.0));
            p.observe(&record(52, 0.0));
            assert_eq!(p.reported, 2);
        }
        let s = Progress::new("t", Total::Seconds(4.0));
        assert_eq!(s.fraction(&record(1, 1.0)), 0.25);
    }
}
