//! Dopamine-1: WP whose learning rate is set by adaptive coding of the RPE.

use crate::error::Error;
use crate::real::Real;
use crate::report::CodingReport;
use crate::rule::{NoiseCombination, RuleSignal, StepNoise, UpdateContext, UpdateRule};
use crate::rules::rpe_stats::{AdaptiveCoding, RpeStats};
use crate::rules::second_moment::{NoMoment, SecondMoment, SecondMomentConfig};

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Dopamine-1: `w += eta * (1/K) * sum_k D_k * z_k` with `D_k = r_k / sqrt(v + eps)`.
///
/// The RPE is coded relative to the range of RPEs the rule has come to
/// expect (see [`RpeStats`]); the effective learning rate
/// `eta * sigma / sqrt(v)` is large on plateaus and small where surprises are
/// large. Multiplying the loss by `c > 0` multiplies `r` and `sqrt(v)` by `c`,
/// so the update does not change (up to `eps`).
///
/// **Second-moment normalisation** (optional,
/// [`Dopamine1Rule::with_second_moment`]): each synapse keeps
/// `u_i = beta2 u_i + (1 - beta2) d_i^2` of the coded update
/// `d = (1/K) sum_k D_k z_k` in storage `U` provided by the caller (one
/// value per parameter), and the step becomes
/// `w_i += eta d_i / (sqrt(u_hat_i) + eps)` (see
/// [`crate::rules::second_moment`]). Without it `U` is the zero-sized
/// [`NoMoment`], the default, so `Dopamine1Rule<T>` is the plain rule.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Dopamine1Rule<T, U = NoMoment> {
    stats: RpeStats<T>,
    /// The last update's coefficients: `eta D_k / K` without the
    /// normalisation, the signals `D_k / K` with it.
    last: NoiseCombination<T>,
    moment: Option<SecondMoment<T, U>>,
    /// The learning rate of the last update (for the normalised undo).
    last_eta: T,
}

impl<T: Real> Dopamine1Rule<T> {
    /// A Dopamine-1 rule with these RPE statistics settings.
    pub fn new(coding: AdaptiveCoding<T>) -> Self {
        Self {
            stats: RpeStats::new(coding),
            last: NoiseCombination::default(),
            moment: None,
            last_eta: T::ZERO,
        }
    }
}

impl<T: Real, U: AsRef<[T]> + AsMut<[T]>> Dopamine1Rule<T, U> {
    /// The same rule with the second-moment normalisation, `u` stored in
    /// `storage` (one value per parameter; zeroed here). Replaces any
    /// normalisation set before.
    pub fn with_second_moment<V: AsRef<[T]> + AsMut<[T]>>(
        self,
        config: SecondMomentConfig<T>,
        storage: V,
    ) -> Dopamine1Rule<T, V> {
        Dopamine1Rule {
            stats: self.stats,
            last: self.last,
            moment: Some(SecondMoment::new(config, storage)),
            last_eta: self.last_eta,
        }
    }

    /// The running RPE statistics.
    pub fn stats(&self) -> &RpeStats<T> {
        &self.stats
    }

    /// The second-moment normalisation, when enabled.
    pub fn second_moment(&self) -> Option<&SecondMoment<T, U>> {
        self.moment.as_ref()
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
        coding: Some(CodingReport {
            expected_rpe: stats.expected_rpe(),
            surprise_size: v.sqrt(),
        }),
        applied: absorbed,
    }
}

impl<T: Real, U: AsRef<[T]> + AsMut<[T]>> UpdateRule<T> for Dopamine1Rule<T, U> {
    fn validate(&self, dim: usize) -> Result<(), Error> {
        self.stats.coding().validate()?;
        match &self.moment {
            Some(m) => m.validate(dim),
            None => Ok(()),
        }
    }

    fn update(
        &mut self,
        params: &mut [T],
        noise: &StepNoise<'_>,
        ctx: &UpdateContext<'_, T>,
    ) -> RuleSignal<T> {
        let mut signals = [T::ZERO; crate::MAX_PROBES];
        let mut report = dopamine_signals(&mut self.stats, ctx, &mut signals);
        let k = ctx.deltas.len();
        match &mut self.moment {
            None => {
                self.last.set(k, |k| ctx.eta * signals[k]);
                report.applied = report.applied && self.last.apply(params, noise, ctx);
            }
            Some(moment) => {
                self.last.set(k, |k| signals[k]);
                self.last_eta = ctx.eta;
                report.applied = report.applied
                    && moment.update_weights(
                        params,
                        noise,
                        self.last.coefs(),
                        ctx.eta,
                        ctx.param_max_abs,
                        ctx.weight_limit,
                    );
            }
        }
        report
    }

    fn undo(&mut self, params: &mut [T], noise: &StepNoise<'_>) {
        match &self.moment {
            None => self.last.undo(params, noise),
            Some(moment) => moment.undo_weights(params, noise, self.last.coefs(), self.last_eta),
        }
    }
}
