//! Timing helpers shared by the examples: this thread's CPU time, interleaved medians and the load average.
//!
//! The machines these run on are often shared, so every measurement is a
//! ratio against a reference timed in the same run, interleaved with it
//! (each sample of each operation in turn), and the median of its samples.
//! Times are this thread's CPU time (`clock_gettime` with
//! `CLOCK_THREAD_CPUTIME_ID` on Linux), which a busy machine inflates far
//! less than wall time; elsewhere, wall time.

#![allow(dead_code)]

use std::time::Instant;

/// Seconds this thread has run on a CPU, or `None` where the system does
/// not say.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn thread_cpu() -> Option<f64> {
    /// `struct timespec` on 64-bit Linux.
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, out: *mut Timespec) -> i32;
    }
    /// `CLOCK_THREAD_CPUTIME_ID` of Linux.
    const THREAD_CPUTIME: i32 = 3;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `clock_gettime` from the C library std links, writing one
    // `timespec` we own.
    let rc = unsafe { clock_gettime(THREAD_CPUTIME, &mut ts) };
    (rc == 0).then_some(ts.sec as f64 + ts.nsec as f64 * 1e-9)
}

/// Wall time only, off 64-bit Linux.
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn thread_cpu() -> Option<f64> {
    None
}

/// A clock: this thread's CPU time where available, wall time otherwise.
pub struct Clock {
    cpu: bool,
    start: Instant,
}

impl Clock {
    /// The best clock this system offers.
    pub fn new() -> Self {
        Self {
            cpu: thread_cpu().is_some(),
            start: Instant::now(),
        }
    }

    /// What it measures.
    pub fn name(&self) -> &'static str {
        if self.cpu {
            "thread CPU time"
        } else {
            "wall time"
        }
    }

    /// Seconds since an arbitrary origin.
    pub fn now(&self) -> f64 {
        if self.cpu {
            thread_cpu().unwrap_or(0.0)
        } else {
            self.start.elapsed().as_secs_f64()
        }
    }
}

/// The 1-, 5- and 15-minute load averages, as the kernel prints them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// The median of `v` (sorted in place).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Seconds per call of each operation: `samples` rounds, each timing every
/// operation in turn over enough calls to last `min_seconds` (calibrated on
/// a first, untimed round), the median of the rounds.
pub fn interleaved_medians(
    clock: &Clock,
    samples: usize,
    min_seconds: f64,
    ops: &mut [&mut dyn FnMut()],
) -> Vec<f64> {
    let mut reps = Vec::with_capacity(ops.len());
    for op in ops.iter_mut() {
        let t0 = clock.now();
        op();
        let once = (clock.now() - t0).max(1e-7);
        reps.push(((min_seconds / once).ceil() as usize).clamp(1, 1_000_000));
    }
    let mut times = vec![Vec::with_capacity(samples); ops.len()];
    for _ in 0..samples {
        for ((op, &n), t) in ops.iter_mut().zip(&reps).zip(times.iter_mut()) {
            let t0 = clock.now();
            for _ in 0..n {
                op();
            }
            t.push((clock.now() - t0) / n as f64);
        }
    }
    times.iter_mut().map(|t| median(t)).collect()
}
