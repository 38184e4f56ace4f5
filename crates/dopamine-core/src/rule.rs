//! The `UpdateRule` trait: what a perturbation rule does with a step's RPEs.
//!
//! The probing machinery (perturb, evaluate, restore, measure the RPE) is the
//! same for every rule and lives in [`crate::optimizer`]. A rule only turns the
//! step's per-probe RPEs into a change of the weights, and knows how to take
//! that change back when the safety net asks it to.

use crate::error::Error;
use crate::noise::{NoiseKey, NoiseKind, NoiseStream};
use crate::perturb::add_noise_combination;
use crate::real::Real;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// The noise streams of one step: probe `k` uses key `(seed, step, k)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepNoise {
    /// The run's seed.
    pub seed: u64,
    /// The step.
    pub step: u64,
    /// The distribution.
    pub kind: NoiseKind,
}

impl StepNoise {
    /// The stream of probe `k` of this step.
    #[inline]
    pub fn stream(&self, probe: usize) -> NoiseStream {
        NoiseStream::new(NoiseKey::new(self.seed, self.step, probe as u32), self.kind)
    }
}

/// What the optimizer hands a rule when a step's probes are done.
#[derive(Debug, Clone, Copy)]
pub struct UpdateContext<'a, T> {
    /// The RPE `delta_k` of each probe (`delta > 0`: the probe did better).
    pub deltas: &'a [T],
    /// The perturbation scale.
    pub sigma: T,
    /// The learning rate of this step: base `eta` times the schedule factor.
    pub eta: T,
}

/// What a rule reports about the update it made; the optimizer passes it on
/// in its [`crate::StepReport`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct RuleSignal<T> {
    /// The step's learning rate in WP units (the factor on the gradient
    /// estimate `d = delta z / sigma`). For WP this is `eta`; for the Dopamine
    /// rules `eta * sigma / sqrt(v + eps)`.
    pub effective_eta: T,
    /// The expected RPE `b` after this step (zero for WP).
    pub expected_rpe: T,
    /// The typical size of the surprise, `sqrt(v)` (zero for WP).
    pub surprise_size: T,
    /// `false` when the update was too large to apply without overflow and
    /// was skipped; the weights are then unchanged.
    pub applied: bool,
}

/// A perturbation learning rule: turns a step's RPEs into a weight change.
pub trait UpdateRule<T: Real> {
    /// Checks the rule's own settings for a parameter vector of length `dim`.
    fn validate(&self, dim: usize) -> Result<(), Error>;

    /// Applies the update of the step whose noise is `noise`.
    fn update(
        &mut self,
        params: &mut [T],
        noise: &StepNoise,
        ctx: &UpdateContext<'_, T>,
    ) -> RuleSignal<T>;

    /// Takes back the last applied update, regenerating its noise.
    fn undo(&mut self, params: &mut [T], noise: &StepNoise);

    /// Called after an update was undone because the loss that followed it
    /// was not finite. Rules with a fixed learning rate shrink it here.
    fn on_divergence(&mut self) {}
}

/// The coefficients `c_k` of the last update `w += sum_k c_k z_k`, kept so the
/// update can be undone by regenerating the noise.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct NoiseCombination<T> {
    coefs: [T; crate::MAX_PROBES],
    len: usize,
}

impl<T: Real> Default for NoiseCombination<T> {
    fn default() -> Self {
        Self {
            coefs: [T::ZERO; crate::MAX_PROBES],
            len: 0,
        }
    }
}

impl<T: Real> NoiseCombination<T> {
    /// Sets the coefficients from `f(k)` for `k in 0..len` (`len <= MAX_PROBES`).
    pub fn set(&mut self, len: usize, mut f: impl FnMut(usize) -> T) {
        self.len = len.min(crate::MAX_PROBES);
        for (k, c) in self.coefs[..self.len].iter_mut().enumerate() {
            *c = f(k);
        }
    }

    /// The coefficients.
    pub fn coefs(&self) -> &[T] {
        &self.coefs[..self.len]
    }

    /// `true` when applying the combination cannot overflow: every
    /// coefficient is finite and `sum |c_k| * max|z|` stays 1024 times below
    /// the largest finite value.
    pub fn is_safe(&self) -> bool {
        let mut bound = T::ZERO;
        for c in self.coefs() {
            bound += c.abs();
        }
        let bound = bound * T::from_f64(crate::noise::GAUSSIAN_MAX_ABS * 1024.0);
        bound.is_finite()
    }

    /// `w += sign * sum_k c_k z_k`. Returns `true` when every weight is finite afterwards.
    pub fn apply(&self, params: &mut [T], noise: &StepNoise, sign: T) -> bool {
        let mut scaled = [T::ZERO; crate::MAX_PROBES];
        for (s, c) in scaled.iter_mut().zip(self.coefs()) {
            *s = sign * *c;
        }
        add_noise_combination(params, &scaled[..self.len], |k| noise.stream(k))
    }
}
