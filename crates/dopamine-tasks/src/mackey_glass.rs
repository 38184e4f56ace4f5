//! The Mackey-Glass delay differential equation, integrated with RK4.
//!
//! `dx/dt = a x(t - tau) / (1 + x(t - tau)^n) - b x(t)`
//!
//! # Numerical scheme
//!
//! Classical fourth-order Runge-Kutta with step `dt`, where `tau` must be a
//! whole multiple `m = tau / dt` of the step. The solution is stored at every
//! grid point `t_i = i dt` in a ring buffer, so the delayed values an RK4
//! step from `t_i` to `t_i + dt` needs are:
//!
//! - at `t_i` (stage 1) and `t_i + dt` (stage 4): the stored grid values
//!   `x[i - m]` and `x[i - m + 1]`, exactly;
//! - at the midpoint `t_i + dt/2` (stages 2 and 3): the cubic (four-point
//!   Lagrange) interpolation of the neighbouring stored values,
//!   `(-x[i-m-1] + 9 x[i-m] + 9 x[i-m+1] - x[i-m+2]) / 16`, which is
//!   fourth-order accurate like RK4 itself. When `m = 1` the point
//!   `x[i-m+2]` is not known yet, and the midpoint falls back to the average
//!   `(x[i-m] + x[i-m+1]) / 2` (second order).
//! - The history meets the solution at `t = 0` with a jump in the
//!   derivative, so in the two steps whose stencil straddles `t = 0` the
//!   midpoint uses the three-point (quadratic) interpolation from the smooth
//!   side only, `(3 x[k] + 6 x[k+1] - x[k+2]) / 8` or its mirror image;
//!   a stencil across the kink would make the whole scheme second order.
//!
//! # History and sampling
//!
//! The history on `[-tau - dt, 0]` (the `m + 2` stored points the scheme
//! needs) is either a constant or seeded uniform random values
//! ([`HistoryInit`]). The system is integrated for `transient` time units
//! first; sample `j` is then `x(transient + j * sample_step)`, where
//! `sample_step` must be a whole multiple of `dt`.

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{Rng, SeedableRng};

use crate::error::{Result, TaskError};
use crate::series::Series;
use crate::steps::{check_step, whole_steps};

/// Longest delay buffer allowed, in steps (`tau / dt`): 10 M points, 80 MB.
pub const MAX_DELAY_STEPS: u64 = 10_000_000;

/// How the history on `[-tau, 0]` is initialised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HistoryInit {
    /// `x(t) = value` for all `t <= 0`. Must be finite.
    Constant(f64),
    /// Each stored history point independently uniform in `[low, high)`,
    /// drawn from `Xoshiro256PlusPlus::seed_from_u64(seed)`. Keep `low > 0`:
    /// the equation's fractional powers are undefined for negative `x`
    /// when `n` is not an integer.
    Random {
        /// Seed of the stream.
        seed: u64,
        /// Lower bound (inclusive).
        low: f64,
        /// Upper bound (exclusive); `low <= high`.
        high: f64,
    },
}

/// Parameters of a Mackey-Glass series. The default is the classic chaotic
/// setting (tau = 17) that the experiments use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MackeyGlassConfig {
    /// Production rate `a` (default 0.2).
    pub a: f64,
    /// Decay rate `b` (default 0.1).
    pub b: f64,
    /// Exponent `n` (default 10). Integer values use exact integer powers.
    pub n: f64,
    /// Delay `tau` (default 17, mildly chaotic); a whole multiple of `dt`.
    pub tau: f64,
    /// Integration step (default 0.1).
    pub dt: f64,
    /// Time between samples (default 1.0); a whole multiple of `dt`.
    pub sample_step: f64,
    /// Time integrated and discarded before the first sample (default
    /// 1000, about 60 delays: long enough to forget the constant history);
    /// a whole multiple of `dt`.
    pub transient: f64,
    /// History initialisation (default `Constant(1.2)`).
    pub history: HistoryInit,
}

impl Default for MackeyGlassConfig {
    fn default() -> Self {
        MackeyGlassConfig {
            a: 0.2,
            b: 0.1,
            n: 10.0,
            tau: 17.0,
            dt: 0.1,
            sample_step: 1.0,
            transient: 1000.0,
            history: HistoryInit::Constant(1.2),
        }
    }
}

impl MackeyGlassConfig {
    /// Generates `samples` samples as a one-dimensional series.
    ///
    /// # Errors
    /// Those of [`MackeyGlass::new`] and [`MackeyGlass::next_sample`].
    pub fn generate(&self, samples: usize) -> Result<Series> {
        let mut generator = MackeyGlass::new(self)?;
        let mut data = vec![0.0; samples];
        generator.fill(&mut data)?;
        Ok(Series::from_trusted(1, data))
    }
}

/// A running Mackey-Glass integrator that yields samples one at a time.
#[derive(Debug, Clone)]
pub struct MackeyGlass {
    a: f64,
    b: f64,
    n: f64,
    integer_n: Option<i32>,
    dt: f64,
    delay_steps: usize,
    steps_per_sample: u64,
    /// `x` at grid points `i - m - 1 ..= i`, oldest at `head`.
    ring: Vec<f64>,
    head: usize,
    x: f64,
    /// The delayed term of `x[i - m]`, kept from the previous step.
    lagged_term: f64,
    steps: u64,
    started: bool,
}

impl MackeyGlass {
    /// Validates `config`, initialises the history and integrates the
    /// transient. The first [`MackeyGlass::next_sample`] returns
    /// `x(transient)`.
    ///
    /// # Errors
    /// [`TaskError::InvalidParameter`] for non-finite `a`, `b`, `n`; a
    /// non-positive or non-finite `dt`; `tau <= 0`; `tau`, `sample_step` or
    /// `transient` not whole multiples of `dt`; `sample_step == 0`;
    /// `tau / dt > MAX_DELAY_STEPS`; a bad history. [`TaskError::Diverged`]
    /// if the state becomes non-finite during the transient.
    pub fn new(config: &MackeyGlassConfig) -> Result<Self> {
        for (name, v) in [("a", config.a), ("b", config.b), ("n", config.n)] {
            if !v.is_finite() {
                return Err(TaskError::invalid(name, format!("must be finite, got {v}")));
            }
        }
        let dt = config.dt;
        check_step(dt)?;
        let delay_steps = whole_steps("tau", config.tau, dt, MAX_DELAY_STEPS)? as usize;
        if delay_steps == 0 {
            return Err(TaskError::invalid("tau", "must be > 0"));
        }
        let steps_per_sample = whole_steps("sample_step", config.sample_step, dt, u64::MAX)?;
        if steps_per_sample == 0 {
            return Err(TaskError::invalid("sample_step", "must be > 0"));
        }
        let transient_steps = whole_steps("transient", config.transient, dt, u64::MAX)?;

        let len = delay_steps + 2;
        let ring = match config.history {
            HistoryInit::Constant(c) => {
                if !c.is_finite() {
                    return Err(TaskError::invalid("history", "constant must be finite"));
                }
                vec![c; len]
            }
            HistoryInit::Random { seed, low, high } => {
                if !(low.is_finite() && high.is_finite() && low <= high) {
                    return Err(TaskError::invalid(
                        "history",
                        format!("need finite low <= high, got {low}..{high}"),
                    ));
                }
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
                (0..len)
                    .map(|_| {
                        let u = (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
                        low + (high - low) * u
                    })
                    .collect()
            }
        };
        let integer_n =
            (config.n.fract() == 0.0 && config.n.abs() <= 64.0).then_some(config.n as i32);
        let mut mg = MackeyGlass {
            a: config.a,
            b: config.b,
            n: config.n,
            integer_n,
            dt,
            delay_steps,
            steps_per_sample,
            x: ring[len - 1],
            lagged_term: 0.0,
            ring,
            head: 0,
            steps: 0,
            started: false,
        };
        mg.lagged_term = mg.delayed_term(mg.ring[1]);
        for _ in 0..transient_steps {
            mg.step();
        }
        mg.check_finite()?;
        Ok(mg)
    }

    /// Simulated time of the current state.
    pub fn time(&self) -> f64 {
        self.steps as f64 * self.dt
    }

    /// The next sample: `x(transient)` first, then every `sample_step`.
    ///
    /// # Errors
    /// [`TaskError::Diverged`] if the state became non-finite.
    pub fn next_sample(&mut self) -> Result<f64> {
        if self.started {
            for _ in 0..self.steps_per_sample {
                self.step();
            }
        }
        self.started = true;
        self.check_finite()?;
        Ok(self.x)
    }

    /// Fills `out` with the next `out.len()` samples.
    ///
    /// # Errors
    /// As for [`MackeyGlass::next_sample`].
    pub fn fill(&mut self, out: &mut [f64]) -> Result<()> {
        for v in out {
            *v = self.next_sample()?;
        }
        Ok(())
    }

    fn check_finite(&self) -> Result<()> {
        if self.x.is_finite() {
            Ok(())
        } else {
            Err(TaskError::Diverged { time: self.time() })
        }
    }

    #[inline]
    fn delayed_term(&self, d: f64) -> f64 {
        let power = match self.integer_n {
            Some(k) => d.powi(k),
            None => d.powf(self.n),
        };
        self.a * d / (1.0 + power)
    }

    #[inline]
    fn at(&self, j: usize) -> f64 {
        let k = self.head + j;
        let len = self.ring.len();
        self.ring[if k >= len { k - len } else { k }]
    }

    /// One RK4 step from `t_i` to `t_i + dt` (see the module docs).
    #[inline]
    fn step(&mut self) {
        let before = self.at(0); // x[i - m - 1]
        let lag0 = self.at(1); // x[i - m]
        let lag1 = self.at(2); // x[i - m + 1]
        let m = self.delay_steps as u64;
        let lag_mid = if m < 2 {
            0.5 * (lag0 + lag1)
        } else {
            let after = self.at(3); // x[i - m + 2]
            if self.steps == m {
                // x[i - m] = x(0), where the derivative jumps: interpolate
                // from the solution side only (quadratic).
                (3.0 * lag0 + 6.0 * lag1 - after) / 8.0
            } else if self.steps + 1 == m {
                // x[i - m + 1] = x(0): interpolate from the history side only.
                (3.0 * lag1 + 6.0 * lag0 - before) / 8.0
            } else {
                (9.0 * (lag0 + lag1) - (before + after)) / 16.0
            }
        };
        let g0 = self.lagged_term;
        let g_mid = self.delayed_term(lag_mid);
        let g1 = self.delayed_term(lag1);
        let (b, h, x) = (self.b, self.dt, self.x);
        let k1 = g0 - b * x;
        let k2 = g_mid - b * (x + 0.5 * h * k1);
        let k3 = g_mid - b * (x + 0.5 * h * k2);
        let k4 = g1 - b * (x + h * k3);
        let next = x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);

        let head = self.head;
        self.ring[head] = next;
        self.head = if head + 1 == self.ring.len() {
            0
        } else {
            head + 1
        };
        self.x = next;
        self.lagged_term = g1;
        self.steps += 1;
    }
}
