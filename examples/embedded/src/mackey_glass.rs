//! The Mackey-Glass series, integrated on the device with RK4 and a delay ring buffer.
//!
//! `dx/dt = a x(t - tau) / (1 + x(t - tau)^10) - b x(t)` with the classic
//! chaotic setting `a = 0.2`, `b = 0.1`, `tau = 17`, step `dt = 0.1`, constant
//! history `x = 1.2` for `t <= 0`, 1000 time units of transient, one sample
//! per time unit. This is the same scheme and the same settings as
//! `dopamine_tasks::MackeyGlassConfig::default()` (the series of experiment
//! E2), written again here without `std` or a heap: the `tau / dt + 2 = 172`
//! stored points live in a fixed array. The delayed value at an RK4
//! midpoint is the four-point Lagrange interpolation of the stored grid
//! values, with the one-sided three-point form in the two steps whose
//! stencil straddles the kink at `t = 0`.
//!
//! The arithmetic is `f64`, so the samples agree with the host generator's
//! golden values; the Cortex-M4F's FPU is single precision, so on the chip
//! this runs in software floating point, once, before training.

/// Production rate `a`.
pub const A: f64 = 0.2;
/// Decay rate `b`.
pub const B: f64 = 0.1;
/// Integration step.
pub const DT: f64 = 0.1;
/// Delay in steps: `tau / dt = 17 / 0.1`.
pub const DELAY_STEPS: usize = 170;
/// Integration steps per sample (`sample_step / dt = 1 / 0.1`).
pub const STEPS_PER_SAMPLE: usize = 10;
/// Integration steps discarded first (`transient / dt = 1000 / 0.1`).
pub const TRANSIENT_STEPS: usize = 10_000;
/// The constant history.
pub const HISTORY: f64 = 1.2;
const RING: usize = DELAY_STEPS + 2;

/// A running integrator: yields `x(1000)`, `x(1001)`, ...
#[derive(Debug, Clone)]
pub struct MackeyGlass {
    /// `x` at grid points `i - m - 1 ..= i`, oldest at `head`.
    ring: [f64; RING],
    head: usize,
    x: f64,
    /// The delayed term of `x[i - m]`, kept from the previous step.
    lagged_term: f64,
    steps: usize,
    started: bool,
}

impl Default for MackeyGlass {
    fn default() -> Self {
        Self::new()
    }
}

impl MackeyGlass {
    /// Starts from the constant history and integrates the transient.
    pub fn new() -> Self {
        let mut mg = Self {
            ring: [HISTORY; RING],
            head: 0,
            x: HISTORY,
            lagged_term: delayed_term(HISTORY),
            steps: 0,
            started: false,
        };
        for _ in 0..TRANSIENT_STEPS {
            mg.step();
        }
        mg
    }

    /// The next sample, one time unit after the previous one.
    pub fn next_sample(&mut self) -> f64 {
        if self.started {
            for _ in 0..STEPS_PER_SAMPLE {
                self.step();
            }
        }
        self.started = true;
        self.x
    }

    fn at(&self, j: usize) -> f64 {
        self.ring[(self.head + j) % RING]
    }

    fn step(&mut self) {
        let before = self.at(0); // x[i - m - 1]
        let lag0 = self.at(1); // x[i - m]
        let lag1 = self.at(2); // x[i - m + 1]
        let after = self.at(3); // x[i - m + 2]
        let lag_mid = if self.steps == DELAY_STEPS {
            // x[i - m] = x(0), where the derivative jumps: solution side only.
            (3.0 * lag0 + 6.0 * lag1 - after) / 8.0
        } else if self.steps + 1 == DELAY_STEPS {
            // x[i - m + 1] = x(0): history side only.
            (3.0 * lag1 + 6.0 * lag0 - before) / 8.0
        } else {
            (9.0 * (lag0 + lag1) - (before + after)) / 16.0
        };
        let g0 = self.lagged_term;
        let g_mid = delayed_term(lag_mid);
        let g1 = delayed_term(lag1);
        let x = self.x;
        let k1 = g0 - B * x;
        let k2 = g_mid - B * (x + 0.5 * DT * k1);
        let k3 = g_mid - B * (x + 0.5 * DT * k2);
        let k4 = g1 - B * (x + DT * k3);
        let next = x + DT / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        self.ring[self.head] = next;
        self.head = (self.head + 1) % RING;
        self.x = next;
        self.lagged_term = g1;
        self.steps += 1;
    }
}

/// `a d / (1 + d^10)`, with `d^10` by repeated squaring.
fn delayed_term(d: f64) -> f64 {
    let d2 = d * d;
    let d8 = (d2 * d2) * (d2 * d2);
    A * d / (1.0 + d8 * d2)
}

/// Fills `out` with the first `out.len()` samples, rounded to `f32`.
pub fn generate(out: &mut [f32]) {
    let mut mg = MackeyGlass::new();
    for v in out {
        *v = mg.next_sample() as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_match_the_host_generators_golden_values() {
        // `dopamine-tasks/tests/generators.rs`, `mackey_glass_golden_values`:
        // the first samples of `MackeyGlassConfig::default()`.
        let golden = [
            0.9472021643479565,
            0.9009203374461562,
            0.8578288693332804,
            0.8172214104247154,
            0.7780259983586656,
        ];
        let mut mg = MackeyGlass::new();
        for (i, want) in golden.iter().enumerate() {
            let got = mg.next_sample();
            assert!(
                (got - want).abs() <= 1e-12 * want.abs(),
                "sample {i}: {got:?} vs golden {want:?}"
            );
        }
    }

    #[test]
    fn the_series_stays_on_the_attractor() {
        let mut s = [0.0f32; 500];
        generate(&mut s);
        let (lo, hi) = s
            .iter()
            .fold((f32::MAX, f32::MIN), |(l, h), x| (l.min(*x), h.max(*x)));
        // The tau = 17 attractor lies roughly within [0.4, 1.35].
        assert!(lo > 0.3 && hi < 1.45 && hi - lo > 0.6, "range {lo}..{hi}");
    }
}
