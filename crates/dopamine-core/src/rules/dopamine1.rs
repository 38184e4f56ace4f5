//! Dopamine-1: WP whose learning rate is set by adaptive coding of the RPE.

use crate::error::Error;
use crate::real::Real;
use crate::rule::{NoiseCombination, RuleSignal, StepNoise, UpdateContext, UpdateRule};
use crate::rules::rpe_stats::{AdaptiveCoding, RpeStats};

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Dopamine-1: `w += eta * (1/K) * sum_k D_k * z_k` with `D_k = r_k / sqrt(v + eps)`.
///
/// The RPE is coded relative to the range of RPEs the rule has come to
/// expect (see [`RpeStats`]); the effective learning rate
/// `eta * sigma / sqrt(v)` is large on plateaus and small where surprises are
/// large. Multiplying the loss by `c > 0` multiplies `r` and `sqrt(v)` by `c`,
/// so the update does not change (up to `eps`).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Dopamine1Rule<T> {
    stats: RpeStats<T>,
    last: NoiseCombination<T>,
}

impl<T: Real> Dopamine1Rule<T> {
    /// A Dopamine-1 rule with these RPE statistics settings.
    pub fn new(coding: AdaptiveCoding<T>) -> Self {
        Self {
            stats: RpeStats::new(coding),
            last: NoiseCombination::default(),
        }
    }

    /// The running RPE statistics.
    pub fn stats(&self) -> &RpeStats<T> {
        &self.stats
    }
}

impl<T: Real> Default for Dopamine1Rule<T> {
    fn default() -> Self {
        Self::new(AdaptiveCoding::default())
    }
}

/// Runs the RPE statistics on a step and returns the per-probe signals `D_k / K`
/// together with what the step reports. Shared by both Dopamine rules.
/// `applied` is `false` when the statistics could not absorb the step's RPEs
/// (overflow); the caller must then leave the weights alone.
pub(crate) fn dopamine_signals<T: Real>(
    stats: &mut RpeStats<T>,
    ctx: &UpdateContext<'_, T>,
    signals: &mut [T; crate::MAX_PROBES],
) -> RuleSignal<T> {
    let k = ctx.deltas.len();
    let absorbed = stats.observe(ctx.deltas, &mut signals[..k]);
    let inv_k = T::ONE / T::from_usize(k);
    for s in &mut signals[..k] {
        *s *= inv_k;
    }
    let v = stats.surprise_variance();
    RuleSignal {
        effective_eta: ctx.eta * ctx.sigma / (v + stats.coding().eps).sqrt(),
        expected_rpe: stats.expected_rpe(),
        surprise_size: v.sqrt(),
        applied: absorbed,
    }
}

impl<T: Real> UpdateRule<T> for Dopamine1Rule<T> {
    fn validate(&self, _dim: usize) -> Result<(), Error> {
        self.stats.coding().validate()
    }

    fn update(
        &mut self,
        params: &mut [T],
        noise: &StepNoise<'_>,
        ctx: &UpdateContext<'_, T>,
    ) -> RuleSignal<T> {
        let mut signals = [T::ZERO; crate::MAX_PROBES];
        let mut report = dopamine_signals(&mut self.stats, ctx, &mut signals);
        self.last.set(ctx.deltas.len(), |k| ctx.eta * signals[k]);
        report.applied = report.applied && self.last.apply(params, noise, ctx);
        report
    }

    fn undo(&mut self, params: &mut [T], noise: &StepNoise<'_>) {
        self.last.undo(params, noise);
    }
}
