//! WP, the baseline: weight perturbation with a fixed (or scheduled) learning rate.

use crate::error::Error;
use crate::real::Real;
use crate::rule::{NoiseCombination, RuleSignal, StepNoise, UpdateContext, UpdateRule};

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Settings of [`WpRule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct WpConfig {
    /// Halve the learning rate each time an update is undone because the loss
    /// after it was not finite. Default `true`: a fixed learning rate that
    /// diverged once will diverge again.
    pub halve_on_divergence: bool,
}

impl Default for WpConfig {
    fn default() -> Self {
        Self {
            halve_on_divergence: true,
        }
    }
}

/// WP: `w += eta * (1/K) * sum_k (delta_k / sigma) * z_k`.
///
/// Since `delta_k ≈ -sigma * grad·z_k`, the direction's mean is `-grad`: this is
/// stochastic gradient descent with a forward-only gradient estimate.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct WpRule<T> {
    config: WpConfig,
    /// Multiplier of the learning rate, halved on each divergence.
    eta_scale: T,
    last: NoiseCombination<T>,
}

impl<T: Real> WpRule<T> {
    /// A WP rule with these settings.
    pub fn new(config: WpConfig) -> Self {
        Self {
            config,
            eta_scale: T::ONE,
            last: NoiseCombination::default(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &WpConfig {
        &self.config
    }

    /// The factor (a power of 1/2) that divergences have put on the learning rate.
    pub fn eta_scale(&self) -> T {
        self.eta_scale
    }
}

impl<T: Real> Default for WpRule<T> {
    fn default() -> Self {
        Self::new(WpConfig::default())
    }
}

impl<T: Real> UpdateRule<T> for WpRule<T> {
    fn validate(&self, _dim: usize) -> Result<(), Error> {
        Ok(())
    }

    fn update(
        &mut self,
        params: &mut [T],
        noise: &StepNoise<'_>,
        ctx: &UpdateContext<'_, T>,
    ) -> RuleSignal<T> {
        let eta = ctx.eta * self.eta_scale;
        let k = ctx.deltas.len();
        let scale = eta / (ctx.sigma * T::from_usize(k));
        self.last.set(k, |i| scale * ctx.deltas[i]);
        let applied = self.last.apply(params, noise, ctx);
        RuleSignal {
            effective_eta: eta,
            coding: None,
            applied,
        }
    }

    fn undo(&mut self, params: &mut [T], noise: &StepNoise<'_>) {
        self.last.undo(params, noise);
    }

    fn on_divergence(&mut self) {
        if self.config.halve_on_divergence {
            self.eta_scale *= T::from_f64(0.5);
        }
    }
}
