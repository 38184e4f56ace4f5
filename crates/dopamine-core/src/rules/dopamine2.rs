//! Dopamine-2: Dopamine-1 plus a per-synapse eligibility trace (three-factor rule).

use crate::error::Error;
use crate::real::Real;
use crate::rule::{RuleSignal, StepNoise, UpdateContext, UpdateRule};
use crate::rules::dopamine1::dopamine_signals;
use crate::rules::rpe_stats::{AdaptiveCoding, RpeStats};
use crate::rules::second_moment::{NoMoment, SecondMoment, SecondMomentConfig};

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Dopamine-2: `e = lambda*e + (1/K) * sum_k D_k z_k`, `w += eta*(1-lambda)*e`.
///
/// The trace `e` is each synapse's local memory of recent credit; the global
/// dopamine signal `D_k` gates what enters it. The caller provides its storage
/// (`S` is `&mut [T]` on a heapless target, `Vec<T>` or a boxed slice
/// elsewhere); the rule zeroes it when the optimizer is built.
///
/// Undoing a diverged update subtracts `eta*(1-lambda)*e` from the weights and
/// clears the trace: the credit that led to a divergence is not kept.
///
/// **Second-moment normalisation** (optional,
/// [`Dopamine2Rule::with_second_moment`]): what *enters* the trace is
/// normalised per synapse, `e_i = lambda e_i + d_i / (sqrt(u_hat_i) + eps)`
/// with `u_i = beta2 u_i + (1 - beta2) d_i^2` of the coded update `d` (see
/// [`crate::rules::second_moment`] and `docs/algorithm.md` for why entering
/// rather than leaving). `u` lives in storage `U` provided by the caller;
/// without the option `U` is the zero-sized [`NoMoment`], the default.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Dopamine2Rule<T, S, U = NoMoment> {
    stats: RpeStats<T>,
    lambda: T,
    trace: S,
    /// `eta_t * (1 - lambda)` of the last applied update.
    last_gain: T,
    moment: Option<SecondMoment<T, U>>,
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> Dopamine2Rule<T, S> {
    /// A Dopamine-2 rule with trace decay `lambda` in `[0, 1)` and the trace
    /// stored in `trace` (length = number of parameters; zeroed here).
    pub fn new(coding: AdaptiveCoding<T>, lambda: T, mut trace: S) -> Self {
        trace.as_mut().fill(T::ZERO);
        Self {
            stats: RpeStats::new(coding),
            lambda,
            trace,
            last_gain: T::ZERO,
            moment: None,
        }
    }
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>, U: AsRef<[T]> + AsMut<[T]>> Dopamine2Rule<T, S, U> {
    /// The same rule with the second-moment normalisation of what enters
    /// the trace, `u` stored in `storage` (one value per parameter; zeroed
    /// here). Replaces any normalisation set before.
    pub fn with_second_moment<V: AsRef<[T]> + AsMut<[T]>>(
        self,
        config: SecondMomentConfig<T>,
        storage: V,
    ) -> Dopamine2Rule<T, S, V> {
        Dopamine2Rule {
            stats: self.stats,
            lambda: self.lambda,
            trace: self.trace,
            last_gain: self.last_gain,
            moment: Some(SecondMoment::new(config, storage)),
        }
    }

    /// The second-moment normalisation, when enabled.
    pub fn second_moment(&self) -> Option<&SecondMoment<T, U>> {
        self.moment.as_ref()
    }

    /// The running RPE statistics.
    pub fn stats(&self) -> &RpeStats<T> {
        &self.stats
    }

    /// The eligibility trace.
    pub fn trace(&self) -> &[T] {
        self.trace.as_ref()
    }

    /// The trace decay `lambda`.
    pub fn lambda(&self) -> T {
        self.lambda
    }

    /// Gives the trace storage back.
    pub fn into_trace(self) -> S {
        self.trace
    }
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>, U: AsRef<[T]> + AsMut<[T]>> UpdateRule<T>
    for Dopamine2Rule<T, S, U>
{
    fn validate(&self, dim: usize) -> Result<(), Error> {
        self.stats.coding().validate()?;
        if let Some(m) = &self.moment {
            m.validate(dim)?;
        }
        if !self.lambda.is_finite() {
            return Err(Error::NonFiniteSetting("lambda"));
        }
        if self.lambda < T::ZERO || self.lambda >= T::ONE {
            return Err(Error::LambdaOutOfRange);
        }
        crate::error::check_len(dim, self.trace.as_ref().len())
    }

    fn update(
        &mut self,
        params: &mut [T],
        noise: &StepNoise<'_>,
        ctx: &UpdateContext<'_, T>,
    ) -> RuleSignal<T> {
        let mut signals = [T::ZERO; crate::MAX_PROBES];
        let mut report = dopamine_signals(&mut self.stats, ctx, &mut signals);
        if !report.applied {
            // The RPEs overflowed the statistics: skip the step, keep the trace.
            self.last_gain = T::ZERO;
            return report;
        }
        // With |D_k| bounded, the trace is bounded by sum|D_k/K| * max|z| / (1 - lambda).
        let gain = ctx.eta * (T::ONE - self.lambda);
        let trace = self.trace.as_mut();
        let signals = &signals[..ctx.deltas.len()];
        match &mut self.moment {
            None => {
                for e in trace.iter_mut() {
                    *e *= self.lambda;
                }
                // The trace's own finiteness is implied by the check on the weights below.
                let _ = noise.add_combination(trace, signals);
            }
            Some(moment) => {
                if !moment.update_trace(trace, noise, signals, self.lambda) {
                    self.last_gain = T::ZERO;
                    report.applied = false;
                    return report;
                }
            }
        }
        // Every new weight must stay within the limit, and so must every old
        // one (an undo then cannot overflow either).
        let limit = ctx.weight_limit;
        let within = |x: T| x.is_finite() && x.abs().to_f64() <= limit;
        let mut finite = gain.is_finite() && limit > 0.0;
        for (w, e) in params.iter().zip(trace.iter()) {
            finite &= within(*w) && within(*w + gain * *e);
        }
        report.applied = finite;
        if finite {
            for (w, e) in params.iter_mut().zip(trace.iter()) {
                *w += gain * *e;
            }
            self.last_gain = gain;
        } else {
            trace.fill(T::ZERO);
            self.last_gain = T::ZERO;
        }
        report
    }

    fn undo(&mut self, params: &mut [T], _noise: &StepNoise<'_>) {
        let trace = self.trace.as_mut();
        for (w, e) in params.iter_mut().zip(trace.iter()) {
            *w -= self.last_gain * *e;
        }
        trace.fill(T::ZERO);
        self.last_gain = T::ZERO;
    }
}
