//! Adaptive coding of the RPE: running mean (expected RPE) and size of the surprise.

use crate::error::Error;
use crate::real::Real;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Settings of the RPE statistics shared by Dopamine-1 and Dopamine-2.
///
/// Defaults: `beta = 0.9`, `eps = 1e-12`, bias correction on.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct AdaptiveCoding<T> {
    /// Factor of the exponential averages, in `[0, 1)`.
    pub beta: T,
    /// Floor added to the surprise variance, `> 0`, in squared loss units.
    /// The rule is invariant to the loss scale as long as `eps` is small
    /// against `v`.
    pub eps: T,
    /// Divide the averages by `1 - beta^t` (as Adam does), so that the first
    /// steps are not inflated by the zero start. This project's choice; turn
    /// it off for plain exponential averages.
    pub bias_correction: bool,
}

impl<T: Real> Default for AdaptiveCoding<T> {
    fn default() -> Self {
        Self {
            beta: T::from_f64(0.9),
            eps: T::from_f64(1e-12),
            bias_correction: true,
        }
    }
}

impl<T: Real> AdaptiveCoding<T> {
    /// Checks `beta` and `eps`.
    pub fn validate(&self) -> Result<(), Error> {
        if !self.beta.is_finite() {
            return Err(Error::NonFiniteSetting("beta"));
        }
        if self.beta < T::ZERO || self.beta >= T::ONE {
            return Err(Error::BetaOutOfRange);
        }
        if !(self.eps.is_finite() && self.eps > T::ZERO) {
            return Err(Error::EpsNotPositive);
        }
        Ok(())
    }
}

/// Running statistics of the RPE: expected RPE `b` and surprise variance `v`.
///
/// Per step, with the step's RPEs `delta_k`:
/// `r_k = delta_k - b`, then `b = beta*b + (1-beta)*mean(delta)`,
/// `v = beta*v + (1-beta)*mean(r^2)`, and the dopamine signal is
/// `D_k = r_k / sqrt(v + eps)` (with `b`, `v` bias-corrected when enabled).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct RpeStats<T> {
    coding: AdaptiveCoding<T>,
    mean: T,
    variance: T,
    /// `beta^t`, for the bias correction.
    beta_pow: T,
    steps: u64,
}

impl<T: Real> RpeStats<T> {
    /// Fresh statistics (no RPE seen yet).
    pub fn new(coding: AdaptiveCoding<T>) -> Self {
        Self {
            coding,
            mean: T::ZERO,
            variance: T::ZERO,
            beta_pow: T::ONE,
            steps: 0,
        }
    }

    /// The settings.
    pub fn coding(&self) -> &AdaptiveCoding<T> {
        &self.coding
    }

    fn correction(&self) -> T {
        if self.coding.bias_correction && self.steps > 0 {
            T::ONE - self.beta_pow
        } else {
            T::ONE
        }
    }

    /// The expected RPE `b` (bias-corrected when enabled).
    pub fn expected_rpe(&self) -> T {
        if self.steps == 0 {
            T::ZERO
        } else {
            self.mean / self.correction()
        }
    }

    /// The surprise variance `v` (bias-corrected when enabled).
    pub fn surprise_variance(&self) -> T {
        if self.steps == 0 {
            T::ZERO
        } else {
            self.variance / self.correction()
        }
    }

    /// Number of steps seen.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Takes a step's RPEs and writes each probe's dopamine signal
    /// `D_k = r_k / sqrt(v + eps)` into `signals` (same length as `deltas`).
    ///
    /// Because `v` already includes this step's surprises,
    /// `|D_k| <= sqrt(K / (1 - beta))`: the signal is bounded whatever the loss does.
    ///
    /// Returns `false` when the step's RPEs are so large that the running
    /// statistics would overflow (`r^2` beyond the type's range, e.g. a loss
    /// spike of `1e20` in `f32`): the statistics are then left as they were,
    /// every signal is zero, and the step must not be applied. Absorbing an
    /// infinite `v` would zero every later signal and silently stop learning.
    pub fn observe(&mut self, deltas: &[T], signals: &mut [T]) -> bool {
        let k = T::from_usize(deltas.len());
        let b = self.expected_rpe();
        let one = T::ONE;
        let beta = self.coding.beta;
        let mut mean_delta = T::ZERO;
        let mut mean_sq = T::ZERO;
        for (d, s) in deltas.iter().zip(signals.iter_mut()) {
            let r = *d - b;
            *s = r;
            mean_delta += *d;
            mean_sq += r * r;
        }
        mean_delta /= k;
        mean_sq /= k;
        let mean = beta * self.mean + (one - beta) * mean_delta;
        let variance = beta * self.variance + (one - beta) * mean_sq;
        if !(mean.is_finite() && variance.is_finite()) {
            signals.fill(T::ZERO);
            return false;
        }
        self.mean = mean;
        self.variance = variance;
        self.beta_pow *= beta;
        self.steps += 1;
        let denom = (self.surprise_variance() + self.coding.eps).sqrt();
        for s in signals.iter_mut() {
            *s /= denom;
        }
        true
    }
}
