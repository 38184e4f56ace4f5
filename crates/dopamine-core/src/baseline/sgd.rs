//! Stochastic gradient descent with (optionally Nesterov) momentum.

use crate::error::Error;
use crate::real::Real;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Settings of [`Sgd`]. Defaults: `lr = 1e-2`, `momentum = 0.9`, classical momentum.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct SgdConfig<T> {
    /// Learning rate, `> 0`.
    pub lr: T,
    /// Momentum in `[0, 1)`; 0 is plain SGD.
    pub momentum: T,
    /// Nesterov's variant of momentum.
    pub nesterov: bool,
}

impl<T: Real> Default for SgdConfig<T> {
    fn default() -> Self {
        Self {
            lr: T::from_f64(1e-2),
            momentum: T::from_f64(0.9),
            nesterov: false,
        }
    }
}

/// SGD: `v = momentum*v + g`, `w -= lr*v` (Nesterov: `w -= lr*(g + momentum*v)`).
///
/// The velocity `v` is a caller-provided slice of the parameters' length,
/// zero at the start.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Sgd<T> {
    config: SgdConfig<T>,
    lr_scale: T,
}

impl<T: Real> Sgd<T> {
    /// Validates the settings.
    pub fn new(config: SgdConfig<T>) -> Result<Self, Error> {
        if !(config.lr.is_finite() && config.lr > T::ZERO) {
            return Err(Error::EtaNotPositive);
        }
        if !config.momentum.is_finite() {
            return Err(Error::NonFiniteSetting("momentum"));
        }
        if config.momentum < T::ZERO || config.momentum >= T::ONE {
            return Err(Error::InvalidSetting("momentum must lie in [0, 1)"));
        }
        Ok(Self {
            config,
            lr_scale: T::ONE,
        })
    }

    /// The settings.
    pub fn config(&self) -> &SgdConfig<T> {
        &self.config
    }

    /// The learning rate in force (base rate times [`Sgd::scale_lr`] factors).
    pub fn lr(&self) -> T {
        self.config.lr * self.lr_scale
    }

    /// Multiplies the learning rate by `factor` (a harness halves it after a divergence).
    pub fn scale_lr(&mut self, factor: T) {
        self.lr_scale *= factor;
    }

    /// One step. Errors (nothing changes): length mismatch, non-finite gradient.
    pub fn step(&self, params: &mut [T], grads: &[T], velocity: &mut [T]) -> Result<(), Error> {
        super::check_step(params, grads, &[velocity])?;
        let lr = self.lr();
        let mu = self.config.momentum;
        for ((w, g), v) in params.iter_mut().zip(grads).zip(velocity.iter_mut()) {
            *v = mu * *v + *g;
            let dir = if self.config.nesterov {
                *g + mu * *v
            } else {
                *v
            };
            *w -= lr * dir;
        }
        Ok(())
    }
}
