//! Second-moment normalisation of the coded update: a per-synapse metaplasticity term for Dopamine-1 and Dopamine-2.
//!
//! With the coded update `d = (1/K) sum_k D_k z_k` (Dopamine-1's direction),
//! each synapse keeps a running average of `d_i^2`,
//!
//! ```text
//! u_i   = beta2 u_i + (1 - beta2) d_i^2
//! u_hat = u_i / (1 - beta2^t)                  (bias correction, t = updates so far)
//! n_i   = d_i / (sqrt(u_hat) + eps)            the normalised coded update
//! ```
//!
//! and Dopamine-1 steps `w_i += eta n_i`; Dopamine-2 feeds `n_i` into its
//! trace instead of `d_i`. A synapse whose coded update has been large for a
//! while takes smaller steps and one whose updates were small takes larger
//! ones, as RMSprop and Adam do with gradients. `D` is scale-free, so `u` is
//! too: the rule stays invariant to the scale of the loss.
//!
//! Because `u_i >= (1 - beta2) d_i^2 / (1 - beta2^t)` after the update,
//! `|n_i| <= sqrt((1 - beta2^t) / (1 - beta2)) <= 1 / sqrt(1 - beta2)`
//! whatever the losses: the overflow check needs no extra noise pass unless
//! the weights sit at the edge of the float range.
//!
//! The storage of `u` (one value per parameter) is the caller's, as for
//! Dopamine-2's trace; [`NoMoment`] is the zero-sized stand-in of a rule
//! without the option.

use crate::error::Error;
use crate::real::Real;
use crate::step_noise::StepNoise;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Settings of the second-moment normalisation. Defaults: `beta2 = 0.999`,
/// `eps = 1e-8` (Adam's).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct SecondMomentConfig<T> {
    /// Factor of the running average of `d_i^2`, in `[0, 1)`.
    pub beta2: T,
    /// Floor added to `sqrt(u_hat)`, `> 0`, in units of `d` (dimensionless:
    /// `D` is normalised).
    pub eps: T,
}

impl<T: Real> Default for SecondMomentConfig<T> {
    fn default() -> Self {
        Self {
            beta2: T::from_f64(0.999),
            eps: T::from_f64(1e-8),
        }
    }
}

impl<T: Real> SecondMomentConfig<T> {
    /// Checks `beta2` and `eps`.
    pub fn validate(&self) -> Result<(), Error> {
        if !self.beta2.is_finite() {
            return Err(Error::NonFiniteSetting("beta2"));
        }
        if self.beta2 < T::ZERO || self.beta2 >= T::ONE {
            return Err(Error::BetaOutOfRange);
        }
        if !(self.eps.is_finite() && self.eps > T::ZERO) {
            return Err(Error::EpsNotPositive);
        }
        Ok(())
    }
}

/// The storage type of a rule without the second-moment option: no values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct NoMoment;

impl<T> AsRef<[T]> for NoMoment {
    fn as_ref(&self) -> &[T] {
        &[]
    }
}

impl<T> AsMut<[T]> for NoMoment {
    fn as_mut(&mut self) -> &mut [T] {
        &mut []
    }
}

/// The state of the normalisation: `u` in the caller's storage `U` and the
/// number of updates it has absorbed.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct SecondMoment<T, U> {
    config: SecondMomentConfig<T>,
    u: U,
    steps: u64,
    /// `1 - beta2^t` of the last update (for its undo).
    last_correction: T,
}

/// `(u', n)`: the new second moment and the normalised value of `d`.
#[inline(always)]
pub(crate) fn normalise<T: Real>(u: T, d: T, beta2: T, correction: T, eps: T) -> (T, T) {
    let u1 = beta2 * u + (T::ONE - beta2) * (d * d);
    (u1, d / ((u1 / correction).sqrt() + eps))
}

impl<T: Real, U: AsRef<[T]> + AsMut<[T]>> SecondMoment<T, U> {
    /// Fresh state over `u` (zeroed here).
    pub fn new(config: SecondMomentConfig<T>, mut u: U) -> Self {
        u.as_mut().fill(T::ZERO);
        Self {
            config,
            u,
            steps: 0,
            last_correction: T::ONE,
        }
    }

    /// The settings.
    pub fn config(&self) -> &SecondMomentConfig<T> {
        &self.config
    }

    /// The running second moments `u` (raw, not bias-corrected).
    pub fn values(&self) -> &[T] {
        self.u.as_ref()
    }

    /// Updates absorbed so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Gives the storage back.
    pub fn into_storage(self) -> U {
        self.u
    }

    pub(crate) fn validate(&self, dim: usize) -> Result<(), Error> {
        self.config.validate()?;
        crate::error::check_len(dim, self.u.as_ref().len())
    }

    /// `1 - beta2^(t + 1)`: the bias correction of the next update.
    fn next_correction(&self) -> T {
        let b = self.config.beta2.to_f64();
        T::from_f64(1.0 - libm::pow(b, (self.steps + 1) as f64))
    }

    /// `true` when `d` (the combination of `coefs`) cannot overflow `d^2`.
    fn d_is_small(noise: &StepNoise<'_>, coefs: &[T]) -> bool {
        let mut bound = 0.0;
        for c in coefs {
            bound += c.abs().to_f64();
        }
        let bound = bound * noise.max_abs();
        bound.is_finite() && bound * bound <= 0.125 * T::MAX.to_f64()
    }

    /// Dopamine-1's step with the normalisation: `w_i += eta n_i` with `d`
    /// the combination of `coefs` (the signals `D_k / K`), if no weight
    /// would leave `[-limit, limit]`; otherwise writes nothing (neither the
    /// weights nor `u`) and returns `false`.
    pub(crate) fn update_weights(
        &mut self,
        params: &mut [T],
        noise: &StepNoise<'_>,
        coefs: &[T],
        eta: T,
        param_max_abs: T,
        limit: f64,
    ) -> bool {
        if !(eta.is_finite() && limit.is_finite() && limit > 0.0) {
            return false;
        }
        let correction = self.next_correction();
        let SecondMomentConfig { beta2, eps } = self.config;
        // |n_i| <= sqrt(correction / (1 - beta2)); twice that covers rounding.
        let bound =
            2.0 * eta.abs().to_f64() * libm::sqrt(correction.to_f64() / (1.0 - beta2.to_f64()));
        let safe = Self::d_is_small(noise, coefs) && param_max_abs.to_f64() + bound <= limit;
        let len = params.len();
        if !safe {
            let u = self.u.as_ref();
            let within = |x: T| x.is_finite() && x.abs().to_f64() <= limit;
            let mut ok = true;
            noise.combination_chunks(len, coefs, |start, d| {
                for (j, dj) in d.iter().enumerate() {
                    let i = start + j;
                    let (u1, n) = normalise(u[i], *dj, beta2, correction, eps);
                    ok &= u1.is_finite() && within(params[i]) && within(params[i] + eta * n);
                }
            });
            if !ok {
                return false;
            }
        }
        let u = self.u.as_mut();
        noise.combination_chunks(len, coefs, |start, d| {
            for (j, dj) in d.iter().enumerate() {
                let i = start + j;
                let (u1, n) = normalise(u[i], *dj, beta2, correction, eps);
                u[i] = u1;
                params[i] += eta * n;
            }
        });
        self.steps += 1;
        self.last_correction = correction;
        true
    }

    /// Takes back [`SecondMoment::update_weights`]: `w_i -= eta n_i` with
    /// `n_i` recomputed, bit for bit, from the `u` the update left and the
    /// regenerated `d`. `u` keeps the update's `d^2`.
    pub(crate) fn undo_weights(
        &self,
        params: &mut [T],
        noise: &StepNoise<'_>,
        coefs: &[T],
        eta: T,
    ) {
        let u = self.u.as_ref();
        let correction = self.last_correction;
        let eps = self.config.eps;
        noise.combination_chunks(params.len(), coefs, |start, d| {
            for (j, dj) in d.iter().enumerate() {
                let i = start + j;
                params[i] -= eta * (*dj / ((u[i] / correction).sqrt() + eps));
            }
        });
    }

    /// Dopamine-2's trace with the normalisation: `e_i = lambda e_i + n_i`.
    /// `n` is bounded, so neither `u` nor the trace can overflow; returns
    /// `false` (and writes nothing) only when `d` itself could.
    pub(crate) fn update_trace(
        &mut self,
        trace: &mut [T],
        noise: &StepNoise<'_>,
        coefs: &[T],
        lambda: T,
    ) -> bool {
        if !Self::d_is_small(noise, coefs) {
            return false;
        }
        let correction = self.next_correction();
        let SecondMomentConfig { beta2, eps } = self.config;
        let u = self.u.as_mut();
        noise.combination_chunks(trace.len(), coefs, |start, d| {
            for (j, dj) in d.iter().enumerate() {
                let i = start + j;
                let (u1, n) = normalise(u[i], *dj, beta2, correction, eps);
                u[i] = u1;
                trace[i] = lambda * trace[i] + n;
            }
        });
        self.steps += 1;
        self.last_correction = correction;
        true
    }
}
