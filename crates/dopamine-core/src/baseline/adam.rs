//! Adam (Kingma and Ba, 2015) with bias correction.

use crate::error::Error;
use crate::real::Real;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Settings of [`Adam`]. Defaults: `lr = 1e-3`, `beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct AdamConfig<T> {
    /// Learning rate, `> 0`.
    pub lr: T,
    /// First-moment factor in `[0, 1)`.
    pub beta1: T,
    /// Second-moment factor in `[0, 1)`.
    pub beta2: T,
    /// Denominator floor, `> 0`.
    pub eps: T,
}

impl<T: Real> Default for AdamConfig<T> {
    fn default() -> Self {
        Self {
            lr: T::from_f64(1e-3),
            beta1: T::from_f64(0.9),
            beta2: T::from_f64(0.999),
            eps: T::from_f64(1e-8),
        }
    }
}

/// Adam: `m = b1 m + (1-b1) g`, `v = b2 v + (1-b2) g^2`,
/// `w -= lr * m_hat / (sqrt(v_hat) + eps)` with `m_hat = m / (1 - b1^t)`,
/// `v_hat = v / (1 - b2^t)`.
///
/// The moments `m` and `v` are caller-provided slices of the parameters'
/// length, zero at the start; the step count lives here.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Adam<T> {
    config: AdamConfig<T>,
    lr_scale: T,
    beta1_pow: T,
    beta2_pow: T,
    steps: u64,
}

impl<T: Real> Adam<T> {
    /// Validates the settings.
    pub fn new(config: AdamConfig<T>) -> Result<Self, Error> {
        if !(config.lr.is_finite() && config.lr > T::ZERO) {
            return Err(Error::EtaNotPositive);
        }
        for (b, name) in [(config.beta1, "beta1"), (config.beta2, "beta2")] {
            if !b.is_finite() {
                return Err(Error::NonFiniteSetting(name));
            }
            if b < T::ZERO || b >= T::ONE {
                return Err(Error::BetaOutOfRange);
            }
        }
        if !(config.eps.is_finite() && config.eps > T::ZERO) {
            return Err(Error::EpsNotPositive);
        }
        Ok(Self {
            config,
            lr_scale: T::ONE,
            beta1_pow: T::ONE,
            beta2_pow: T::ONE,
            steps: 0,
        })
    }

    /// The settings.
    pub fn config(&self) -> &AdamConfig<T> {
        &self.config
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The learning rate in force (base rate times [`Adam::scale_lr`] factors).
    pub fn lr(&self) -> T {
        self.config.lr * self.lr_scale
    }

    /// Multiplies the learning rate by `factor` (a harness halves it after a divergence).
    pub fn scale_lr(&mut self, factor: T) {
        self.lr_scale *= factor;
    }

    /// One step. Errors (nothing changes): length mismatch, non-finite gradient.
    pub fn step(
        &mut self,
        params: &mut [T],
        grads: &[T],
        m: &mut [T],
        v: &mut [T],
    ) -> Result<(), Error> {
        super::check_step(params, grads, &[m, v])?;
        let AdamConfig {
            beta1, beta2, eps, ..
        } = self.config;
        self.beta1_pow *= beta1;
        self.beta2_pow *= beta2;
        self.steps += 1;
        let c1 = T::ONE - self.beta1_pow;
        let c2 = T::ONE - self.beta2_pow;
        let lr = self.lr();
        for (((w, g), m), v) in params
            .iter_mut()
            .zip(grads)
            .zip(m.iter_mut())
            .zip(v.iter_mut())
        {
            *m = beta1 * *m + (T::ONE - beta1) * *g;
            *v = beta2 * *v + (T::ONE - beta2) * *g * *g;
            let m_hat = *m / c1;
            let v_hat = *v / c2;
            *w -= lr * m_hat / (v_hat.sqrt() + eps);
        }
        Ok(())
    }
}
