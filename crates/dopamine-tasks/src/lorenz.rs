//! The Lorenz-63 system, integrated with RK4 and subsampled.
//!
//! `dx/dt = sigma (y - x)`, `dy/dt = x (rho - z) - y`, `dz/dt = x y - beta z`.
//!
//! Classical fourth-order Runge-Kutta with step `dt` from `initial`; the
//! first `transient` time units are discarded, then sample `j` is the state
//! at `transient + j * sample_step`. `transient` and `sample_step` must be
//! whole multiples of `dt`.

use crate::error::{Result, TaskError};
use crate::series::Series;
use crate::steps::{check_step, whole_steps};

/// Parameters of a Lorenz-63 series. The default is the classic chaotic
/// setting `sigma = 10, rho = 28, beta = 8/3`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LorenzConfig {
    /// `sigma` (default 10).
    pub sigma: f64,
    /// `rho` (default 28).
    pub rho: f64,
    /// `beta` (default 8/3).
    pub beta: f64,
    /// Integration step (default 0.01).
    pub dt: f64,
    /// Time between samples (default 0.02, i.e. every second step); a
    /// whole multiple of `dt`.
    pub sample_step: f64,
    /// Time integrated and discarded first (default 100, about 90
    /// Lyapunov times: the state is on the attractor); a multiple of `dt`.
    pub transient: f64,
    /// State at time 0 (default `[1, 1, 1]`).
    pub initial: [f64; 3],
}

impl Default for LorenzConfig {
    fn default() -> Self {
        LorenzConfig {
            sigma: 10.0,
            rho: 28.0,
            beta: 8.0 / 3.0,
            dt: 0.01,
            sample_step: 0.02,
            transient: 100.0,
            initial: [1.0, 1.0, 1.0],
        }
    }
}

impl LorenzConfig {
    /// Generates `samples` samples as a three-dimensional series
    /// (columns x, y, z).
    ///
    /// # Errors
    /// Those of [`Lorenz::new`] and [`Lorenz::next_sample`].
    pub fn generate(&self, samples: usize) -> Result<Series> {
        let mut generator = Lorenz::new(self)?;
        let mut data = Vec::with_capacity(3 * samples);
        for _ in 0..samples {
            data.extend_from_slice(&generator.next_sample()?);
        }
        Ok(Series::from_trusted(3, data))
    }
}

/// A running Lorenz-63 integrator that yields samples one at a time.
#[derive(Debug, Clone)]
pub struct Lorenz {
    sigma: f64,
    rho: f64,
    beta: f64,
    dt: f64,
    steps_per_sample: u64,
    state: [f64; 3],
    steps: u64,
    started: bool,
}

impl Lorenz {
    /// Validates `config` and integrates the transient. The first
    /// [`Lorenz::next_sample`] returns the state at `transient`.
    ///
    /// # Errors
    /// [`TaskError::InvalidParameter`] for non-finite parameters or initial
    /// state, a non-positive `dt`, `sample_step` or `transient` not whole
    /// multiples of `dt`, `sample_step == 0`. [`TaskError::Diverged`] if the
    /// state becomes non-finite during the transient (e.g. `dt` too large).
    pub fn new(config: &LorenzConfig) -> Result<Self> {
        for (name, v) in [
            ("sigma", config.sigma),
            ("rho", config.rho),
            ("beta", config.beta),
        ] {
            if !v.is_finite() {
                return Err(TaskError::invalid(name, format!("must be finite, got {v}")));
            }
        }
        if config.initial.iter().any(|v| !v.is_finite()) {
            return Err(TaskError::invalid("initial", "must be finite"));
        }
        check_step(config.dt)?;
        let steps_per_sample = whole_steps("sample_step", config.sample_step, config.dt, u64::MAX)?;
        if steps_per_sample == 0 {
            return Err(TaskError::invalid("sample_step", "must be > 0"));
        }
        let transient_steps = whole_steps("transient", config.transient, config.dt, u64::MAX)?;
        let mut lorenz = Lorenz {
            sigma: config.sigma,
            rho: config.rho,
            beta: config.beta,
            dt: config.dt,
            steps_per_sample,
            state: config.initial,
            steps: 0,
            started: false,
        };
        for _ in 0..transient_steps {
            lorenz.step();
        }
        lorenz.check_finite()?;
        Ok(lorenz)
    }

    /// Simulated time of the current state.
    pub fn time(&self) -> f64 {
        self.steps as f64 * self.dt
    }

    /// The next sample `[x, y, z]`: the state at `transient` first, then
    /// every `sample_step`.
    ///
    /// # Errors
    /// [`TaskError::Diverged`] if the state became non-finite.
    pub fn next_sample(&mut self) -> Result<[f64; 3]> {
        if self.started {
            for _ in 0..self.steps_per_sample {
                self.step();
            }
        }
        self.started = true;
        self.check_finite()?;
        Ok(self.state)
    }

    fn check_finite(&self) -> Result<()> {
        if self.state.iter().all(|v| v.is_finite()) {
            Ok(())
        } else {
            Err(TaskError::Diverged { time: self.time() })
        }
    }

    #[inline]
    fn derivative(&self, [x, y, z]: [f64; 3]) -> [f64; 3] {
        [
            self.sigma * (y - x),
            x * (self.rho - z) - y,
            x * y - self.beta * z,
        ]
    }

    #[inline]
    fn step(&mut self) {
        let h = self.dt;
        let s = self.state;
        let shifted = |k: [f64; 3], c: f64| [s[0] + c * k[0], s[1] + c * k[1], s[2] + c * k[2]];
        let k1 = self.derivative(s);
        let k2 = self.derivative(shifted(k1, 0.5 * h));
        let k3 = self.derivative(shifted(k2, 0.5 * h));
        let k4 = self.derivative(shifted(k3, h));
        for i in 0..3 {
            self.state[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
        self.steps += 1;
    }
}
