//! Settings of Dopamine-3: noise scale, learning rate, trace decay, update interval, signal, normalisation, noise mode, schedule, seed.

use crate::error::Error;
use crate::noise::NoiseKind;
use crate::real::Real;
use crate::rules::rpe_stats::AdaptiveCoding;
use crate::rules::second_moment::SecondMomentConfig;
use crate::schedule::EtaSchedule;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// The noise of the two copies of the network.
///
/// Copy A always carries `+xi(t)`; copy B carries `-xi(t)` or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum NoiseMode {
    /// `+xi` and `-xi`: `delta(t) = (l_B(t) - l_A(t)) / 2`, the presynaptic
    /// activity is the mean of the two copies' (equal to the clean
    /// network's to second order in `sigma`). The default.
    #[default]
    Antithetic,
    /// `xi` and `0` (a perturbed and an unperturbed copy):
    /// `delta(t) = l_B(t) - l_A(t)`, the presynaptic activity is the clean
    /// copy's.
    CleanPerturbed,
}

impl NoiseMode {
    /// The factor of `xi` on copy B: `-1` (antithetic) or `0` (clean).
    pub fn copy_b_factor<T: Real>(self) -> T {
        match self {
            Self::Antithetic => -T::ONE,
            Self::CleanPerturbed => T::ZERO,
        }
    }

    /// The presynaptic activity the eligibility uses from the two copies'
    /// values `a` (copy A) and `b` (copy B): `(a + b) / 2` or `b`.
    #[inline(always)]
    pub fn presynaptic<T: Real>(self, a: T, b: T) -> T {
        match self {
            Self::Antithetic => T::from_f64(0.5) * (a + b),
            Self::CleanPerturbed => b,
        }
    }

    /// The per-step RPE from the two copies' per-step losses:
    /// `(l_b - l_a) / 2` or `l_b - l_a` (positive when the noise helped).
    #[inline(always)]
    pub fn rpe<T: Real>(self, loss_a: T, loss_b: T) -> T {
        match self {
            Self::Antithetic => T::from_f64(0.5) * (loss_b - loss_a),
            Self::CleanPerturbed => loss_b - loss_a,
        }
    }
}

/// What the dopamine signal `D(t)` that gates the eligibility is.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Signal<T> {
    /// The raw per-step RPE `delta(t)`. The default.
    #[default]
    PerStep,
    /// Dopamine-1's adaptive coding of the per-step RPE:
    /// `D(t) = (delta(t) - b) / sqrt(v + eps)` with the running expected
    /// RPE `b` and surprise variance `v` updated every step
    /// ([`crate::RpeStats`]). Dimensionless, so the estimate's scale no
    /// longer follows the loss's.
    Adaptive(AdaptiveCoding<T>),
    /// One RPE per update interval, `sum_t delta(t)`, credited to every
    /// noise of the interval with an undecayed eligibility:
    /// `g = (sum_t delta(t)) (sum_s xi(s) x(s)^T) / sigma^2` — classic
    /// node perturbation with an episodic reward (the whole-sequence RPE
    /// when the update comes once per sweep). `lambda` is not used and
    /// no trace crosses an interval boundary. For ablations.
    WholeInterval,
}

/// When the accumulated estimate is applied to the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum UpdateEvery {
    /// Every `C >= 1` recorded time steps (online). The traces and the
    /// caller's hidden state carry over the boundary; a sequence that ends
    /// mid-interval applies the partial interval.
    Steps(u32),
    /// Once per sequence (sweep), at [`crate::Dopamine3::end_sequence`].
    Sweep,
}

impl Default for UpdateEvery {
    fn default() -> Self {
        Self::Steps(300)
    }
}

/// How the eligibility arithmetic is carried out. Both forms compute the
/// same estimate (to rounding; tested); they differ in speed and memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Accumulation {
    /// One sample at a time: `e = lambda e + xi x^T`, `G += D e` every
    /// step. Memory `O(P + H)`: no step is kept.
    Streaming,
    /// Steps are buffered (`n >= 1` of them: `n (N + J + 1)` values) and
    /// folded in with one matrix product per buffer:
    /// `G += lambda D(0) e + sum_s (D(s) xi(s)) x(s)^T`, `D(s)` the
    /// lambda-discounted sum of the buffer's later signals. The default
    /// (`n = 300`).
    Blocks(u32),
}

impl Default for Accumulation {
    fn default() -> Self {
        Self::Blocks(300)
    }
}

impl Accumulation {
    /// Rows of the step buffer: `n` for blocks, 1 for streaming (the
    /// current step).
    pub fn rows(self) -> usize {
        match self {
            Self::Streaming => 1,
            Self::Blocks(n) => n as usize,
        }
    }
}

/// Settings of Dopamine-3 (node perturbation with per-step dopamine and
/// synaptic eligibility traces; `docs/algorithm.md`).
///
/// Defaults: `sigma = 1e-3`, `eta = 1e-3`, `lambda = 0.5`, an update
/// every 300 steps, raw per-step RPE, the second-moment normalisation on
/// (`beta2 = 0.999`, `eps = 1e-8`), antithetic noise, Gaussian, constant
/// schedule, seed 0, blocks of 300: between the configurations chosen on
/// the validation parts of E2 (`sigma = 3e-4`, `eta = 1e-3`, `lambda =
/// 0.9`) and E3 (`3e-3`, `1e-3`, `0.5`) with a cosine decay of `eta`; the
/// antithetic estimate hardly depends on `sigma`, and `lambda` 0.5 and 0.9
/// were within the seeds' spread (`docs/algorithm.md`, Dopamine-3). Give a
/// run a decaying schedule: a constant `eta` was 2.7x worse on E2.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Dopamine3Config<T> {
    /// Standard deviation of the neuron noise `xi_i(t) ~ N(0, sigma^2)`, `> 0`.
    pub sigma: T,
    /// Learning rate, `> 0`.
    pub eta: T,
    /// Decay of the eligibility trace per time step, in `[0, 1)`.
    pub lambda: T,
    /// When the estimate is applied.
    pub update_every: UpdateEvery,
    /// The dopamine signal.
    pub signal: Signal<T>,
    /// Per-synapse second-moment normalisation of the estimate
    /// (`w += eta g / (sqrt(u_hat) + eps)`); `None`: plain `w += eta g`.
    pub second_moment: Option<SecondMomentConfig<T>>,
    /// Antithetic or clean + perturbed copies.
    pub noise: NoiseMode,
    /// Distribution of the noise (Gaussian by default; Rademacher gives
    /// `xi = +-sigma`).
    pub noise_kind: NoiseKind,
    /// Learning-rate schedule over updates.
    pub schedule: EtaSchedule<T>,
    /// Seed of the noise streams.
    pub seed: u64,
    /// Streaming or buffered eligibility arithmetic.
    pub accumulation: Accumulation,
}

impl<T: Real> Default for Dopamine3Config<T> {
    fn default() -> Self {
        Self {
            sigma: T::from_f64(1e-3),
            eta: T::from_f64(1e-3),
            lambda: T::from_f64(0.5),
            update_every: UpdateEvery::default(),
            signal: Signal::PerStep,
            second_moment: Some(SecondMomentConfig::default()),
            noise: NoiseMode::Antithetic,
            noise_kind: NoiseKind::Gaussian,
            schedule: EtaSchedule::Constant,
            seed: 0,
            accumulation: Accumulation::default(),
        }
    }
}

impl<T: Real> Dopamine3Config<T> {
    /// Checks every setting: `sigma` and `eta` finite and `> 0`, `lambda`
    /// in `[0, 1)`, `C >= 1`, a buffer of at least one step, and the
    /// settings of the signal, the normalisation and the schedule.
    pub fn validate(&self) -> Result<(), Error> {
        if !(self.sigma.is_finite() && self.sigma > T::ZERO) {
            return Err(Error::SigmaNotPositive);
        }
        if !(self.eta.is_finite() && self.eta > T::ZERO) {
            return Err(Error::EtaNotPositive);
        }
        if !self.lambda.is_finite() {
            return Err(Error::NonFiniteSetting("lambda"));
        }
        if self.lambda < T::ZERO || self.lambda >= T::ONE {
            return Err(Error::LambdaOutOfRange);
        }
        // 1 / sigma^2 must be finite for the estimate.
        let inv = T::ONE / (self.sigma * self.sigma);
        if !(inv.is_finite() && (self.sigma * self.sigma) > T::ZERO) {
            return Err(Error::InvalidSetting(
                "sigma^2 and 1/sigma^2 must be finite and > 0",
            ));
        }
        if self.update_every == UpdateEvery::Steps(0) {
            return Err(Error::InvalidSetting(
                "the update interval C must be at least 1 step",
            ));
        }
        if self.accumulation == Accumulation::Blocks(0) {
            return Err(Error::InvalidSetting(
                "a block buffer must hold at least 1 step",
            ));
        }
        if let Signal::Adaptive(coding) = &self.signal {
            coding.validate()?;
        }
        if let Some(m) = &self.second_moment {
            m.validate()?;
        }
        self.schedule.validate()
    }
}
