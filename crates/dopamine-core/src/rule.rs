//! The `UpdateRule` trait: what a perturbation rule does with a step's RPEs.
//!
//! The probing machinery (perturb, evaluate, restore, measure the RPE) is the
//! same for every rule and lives in [`crate::optimizer`]. A rule only turns the
//! step's per-probe RPEs into a change of the weights, and knows how to take
//! that change back when the safety net asks it to.

use crate::config::PerturbConfig;
use crate::error::Error;
use crate::real::Real;
use crate::report::CodingReport;
pub use crate::step_noise::StepNoise;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// What the optimizer hands a rule when a step's probes are done.
#[derive(Debug, Clone, Copy)]
pub struct UpdateContext<'a, T> {
    /// The RPE `delta_k` of each probe (`delta > 0`: the probe did better).
    pub deltas: &'a [T],
    /// The step's probe losses in plan order: `L(w + sigma z_k)` for each
    /// probe with forward RPE (`K` values); `L(w + sigma z_k)`,
    /// `L(w - sigma z_k)` for each probe in turn with antithetic RPE (`2K`
    /// values). All finite. Rank-based rules (OpenES) need them; the others
    /// use `deltas` only.
    pub losses: &'a [T],
    /// The perturbation scale.
    pub sigma: T,
    /// The learning rate of this step: base `eta` times the schedule factor.
    pub eta: T,
    /// An upper bound on `|w|` over the parameters the update is applied to.
    pub param_max_abs: T,
    /// The largest `|w|` the update may leave behind (see
    /// [`crate::step_noise::weight_limit`]): an update that would cross it
    /// must be skipped, with nothing written.
    pub weight_limit: f64,
}

/// What a rule reports about the update it made; the optimizer passes it on
/// in its [`crate::StepReport`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct RuleSignal<T> {
    /// The step's learning rate in WP units (the factor on the gradient
    /// estimate `d = delta z / sigma`). For WP this is `eta`; for the Dopamine
    /// rules `eta * sigma / sqrt(v + eps)` (with the second-moment option
    /// each synapse's step is further divided by `sqrt(u_hat) + eps`); for
    /// OpenES Adam's bias-corrected step size `a`.
    pub effective_eta: T,
    /// The RPE statistics after this step: the expected RPE `b` and the
    /// typical surprise `sqrt(v)`; `None` for a rule that does not code its
    /// RPEs (WP, OpenES).
    pub coding: Option<CodingReport<T>>,
    /// `false` when the update was too large to apply without overflow and
    /// was skipped; the weights are then unchanged.
    pub applied: bool,
}

/// A perturbation learning rule: turns a step's RPEs into a weight change.
pub trait UpdateRule<T: Real> {
    /// Checks the rule's own settings for a parameter vector of length `dim`.
    fn validate(&self, dim: usize) -> Result<(), Error>;

    /// Checks that the rule can run with `config` (called when the optimizer
    /// is built, after `config` itself was validated). Every config suits
    /// the default; OpenES refuses forward RPE and a baseline evaluation
    /// with [`Error::IncompatibleConfig`].
    fn validate_config(&self, config: &PerturbConfig<T>) -> Result<(), Error> {
        let _ = config;
        Ok(())
    }

    /// Applies the update of the step whose noise is `noise`. An update that
    /// would take a weight beyond `ctx.weight_limit` writes nothing and
    /// reports `applied: false`.
    fn update(
        &mut self,
        params: &mut [T],
        noise: &StepNoise<'_>,
        ctx: &UpdateContext<'_, T>,
    ) -> RuleSignal<T>;

    /// Takes back the last applied update, regenerating its noise.
    fn undo(&mut self, params: &mut [T], noise: &StepNoise<'_>);

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

    /// `w += sum_k c_k z_k` if no weight would leave `[-ctx.weight_limit,
    /// ctx.weight_limit]`; otherwise writes nothing and returns `false`
    /// (see [`StepNoise::add_combination_checked`]).
    pub fn apply(
        &self,
        params: &mut [T],
        noise: &StepNoise<'_>,
        ctx: &UpdateContext<'_, T>,
    ) -> bool {
        if !self.coefs().iter().all(|c| c.is_finite()) {
            return false;
        }
        noise.add_combination_checked(params, self.coefs(), ctx.param_max_abs, ctx.weight_limit)
    }

    /// Takes back [`NoiseCombination::apply`]: `w -= sum_k c_k z_k`, terms in
    /// reverse order.
    pub fn undo(&self, params: &mut [T], noise: &StepNoise<'_>) {
        noise.subtract_combination(params, self.coefs());
    }
}
