//! The measuring harness every benchmark shares: samples taken interleaved with their reference, medians, the sampling settings of a mode, a target's check, and how ratios and verdicts are written.

use std::time::Instant;

use crate::markdown::fmt_sig;
use crate::mode::Mode;

/// How many samples a measurement takes, and how long each lasts at least.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    /// Samples of each measured closure (the median is reported).
    pub samples: usize,
    /// Minimum time of one sample (calls are repeated until it is reached).
    pub min_sample_seconds: f64,
}

impl Sampling {
    /// The sampling of `mode`: 11 samples of at least 10 ms in full mode,
    /// 5 of at least 2 ms in quick mode.
    pub fn new(mode: Mode) -> Sampling {
        match mode {
            Mode::Full => Sampling {
                samples: 11,
                min_sample_seconds: 0.01,
            },
            Mode::Quick => Sampling {
                samples: 5,
                min_sample_seconds: 0.002,
            },
        }
    }
}

/// One target of the issue and what was measured against it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetCheck {
    /// Benchmark id and case, e.g. `B1 f64 Gaussian P=1e6`.
    pub name: String,
    /// The measured ratio.
    pub measured: f64,
    /// The target, as text (`<= 1.5`).
    pub target: String,
    /// Whether the target is met.
    pub met: bool,
}

/// Median seconds per call of each closure. Each closure is first run once
/// and timed, to choose how many calls make one sample of at least
/// `min_sample_seconds`; then the samples are taken in turn — one of each
/// closure, `samples` times — so that a change of machine load during the
/// measurement hits every closure alike.
pub fn interleaved_medians(
    samples: usize,
    min_sample_seconds: f64,
    closures: &mut [&mut dyn FnMut()],
) -> Vec<f64> {
    let reps: Vec<u32> = closures
        .iter_mut()
        .map(|f| {
            let t0 = Instant::now();
            f();
            let once = t0.elapsed().as_secs_f64().max(1e-9);
            ((min_sample_seconds / once).ceil() as u32).clamp(1, 1_000_000)
        })
        .collect();
    let mut times = vec![Vec::with_capacity(samples); closures.len()];
    for _ in 0..samples.max(1) {
        for ((f, &n), t) in closures.iter_mut().zip(&reps).zip(&mut times) {
            let t0 = Instant::now();
            for _ in 0..n {
                f();
            }
            t.push(t0.elapsed().as_secs_f64() / f64::from(n));
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect()
}

/// The 1-minute load average, if the OS reports one.
pub(super) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// A measured ratio, three significant digits.
pub(super) fn ratio(x: f64) -> String {
    fmt_sig(x, 3)
}

/// Whether a target is met, as the tables write it.
pub(super) fn met(ok: bool) -> &'static str {
    if ok { "yes" } else { "**no**" }
}
