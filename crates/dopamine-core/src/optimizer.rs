//! The ask/tell state machine that runs any [`UpdateRule`] over a plain parameter slice.
//!
//! One step (K probes):
//!
//! 1. `ask` → [`Query::Baseline`]: evaluate the loss `L0` at the parameters as
//!    they are. After an update this is the post-update loss, so it also tells
//!    whether the update is safe to keep.
//! 2. For each probe k: `ask` moves the parameters to `w + sigma z_k`
//!    ([`Query::Probe`]), the caller evaluates, `tell` restores them in place.
//!    With antithetic RPE the probe is also evaluated at `w - sigma z_k`.
//! 3. After the last probe `tell` hands the RPEs to the rule, which updates
//!    the parameters; `tell` returns [`Told::Updated`].
//!
//! The safety net: a non-finite loss at a probe restores the parameters and
//! abandons the step; a non-finite loss right after an update undoes the
//! update (its noise is regenerated from the seeds). Either way the
//! parameters are back where the step began, and `tell` says so with
//! [`Told::Rejected`]. Each step, kept or not, consumes its own noise keys.

use crate::config::{MAX_PROBES, PerturbConfig, RpeMode};
use crate::error::{Error, check_len};
use crate::perturb::{perturb, restore};
use crate::real::Real;
use crate::rule::{RuleSignal, StepNoise, UpdateContext, UpdateRule};
use crate::rules::dopamine1::Dopamine1Rule;
use crate::rules::dopamine2::Dopamine2Rule;
use crate::rules::wp::WpRule;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Weight perturbation with a fixed or scheduled learning rate.
pub type Wp<T> = PerturbationOptimizer<T, WpRule<T>>;
/// Dopamine-1: adaptive coding of the RPE sets the learning rate.
pub type Dopamine1<T> = PerturbationOptimizer<T, Dopamine1Rule<T>>;
/// Dopamine-2: Dopamine-1 with an eligibility trace stored in `S`.
pub type Dopamine2<T, S> = PerturbationOptimizer<T, Dopamine2Rule<T, S>>;

/// Which side of a probe is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Side {
    /// `w + sigma z`.
    Plus,
    /// `w - sigma z` (antithetic RPE only).
    Minus,
}

/// What `ask` wants evaluated next; the parameters are already in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query {
    /// The loss at the unperturbed parameters.
    Baseline,
    /// The loss at a perturbed point.
    Probe {
        /// Probe index `0..K`.
        probe: usize,
        /// Which side.
        side: Side,
    },
}

/// Why a step was rejected; in every case the parameters are back where the
/// rejected step began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Rejection {
    /// The loss right after an update was not finite: the update was undone.
    UpdateUndone,
    /// The loss at the unperturbed parameters was not finite and there was no
    /// update to undo: the parameters the caller handed in already diverge.
    NonFiniteBaseline,
    /// A probe's loss was not finite: the probe was restored and the step
    /// abandoned without an update.
    NonFiniteProbe,
    /// The update was too large to apply without overflow and was skipped.
    UpdateTooLarge,
}

/// What one update did, for monitoring.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct StepReport<T> {
    /// Index of the step (from 0).
    pub step: u64,
    /// Loss at the unperturbed parameters before the update, `L0`.
    pub baseline_loss: T,
    /// Mean RPE of the step's probes.
    pub mean_delta: T,
    /// The RPE of the last probe.
    pub last_delta: T,
    /// Scheduled learning rate of the step.
    pub eta: T,
    /// What the rule reported.
    pub signal: RuleSignal<T>,
}

/// The outcome of `tell`. Marked `#[must_use]`: a rejected step is reported
/// here and nowhere else.
#[must_use = "a rejected step (non-finite loss) is reported only through this value"]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Told<T> {
    /// The baseline loss was recorded; probes follow.
    Baseline {
        /// The loss.
        loss: T,
    },
    /// A probe was recorded and the parameters restored; more probes follow.
    Probed,
    /// The step is complete and the parameters were updated.
    Updated(StepReport<T>),
    /// The step was rejected; the parameters are where it began.
    Rejected(Rejection),
}

/// The outcome of a whole [`PerturbationOptimizer::step`].
#[must_use = "a rejected step (non-finite loss) is reported only through this value"]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepOutcome<T> {
    /// The parameters were updated.
    Updated(StepReport<T>),
    /// The step was rejected; the parameters are where it began.
    Rejected(Rejection),
}

/// Counters of the work done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Counters {
    /// Loss evaluations received by `tell`.
    pub forward_passes: u64,
    /// Updates applied (including ones later undone).
    pub updates: u64,
    /// Updates undone because the loss after them was not finite.
    pub undone_updates: u64,
    /// Steps abandoned because a probe's loss was not finite.
    pub rejected_probes: u64,
    /// Baseline losses that were not finite with nothing to undo.
    pub non_finite_baselines: u64,
    /// Updates skipped because they would have overflowed.
    pub skipped_updates: u64,
    /// Rejections since the last accepted baseline; a caller stops a run
    /// when this grows past its patience.
    pub consecutive_rejections: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
enum Phase {
    Baseline,
    Probe { probe: usize, side: Side },
}

/// Runs a perturbation [`UpdateRule`] as an ask/tell state machine over a
/// `&mut [T]` and a loss value.
///
/// The optimizer owns no parameters and allocates nothing: its state is the
/// rule's state plus a few scalars and two arrays of [`MAX_PROBES`] values.
/// The caller never handles noise. See the [module docs](self) for one step.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct PerturbationOptimizer<T, R> {
    config: PerturbConfig<T>,
    rule: R,
    dim: usize,
    step: u64,
    phase: Phase,
    /// The parameters currently hold the perturbation of `phase`.
    perturbed: bool,
    /// `ask` was called for `phase`.
    asked: bool,
    baseline: T,
    plus_losses: [T; MAX_PROBES],
    deltas: [T; MAX_PROBES],
    /// Step of the last update whose follow-up loss has not been seen yet.
    pending_update: Option<u64>,
    counters: Counters,
    last_report: Option<StepReport<T>>,
}

impl<T: Real, R: UpdateRule<T>> PerturbationOptimizer<T, R> {
    /// Builds an optimizer for `dim` parameters; validates every setting.
    pub fn new(config: PerturbConfig<T>, rule: R, dim: usize) -> Result<Self, Error> {
        config.validate()?;
        if dim == 0 {
            return Err(Error::EmptyParameters);
        }
        rule.validate(dim)?;
        Ok(Self {
            config,
            rule,
            dim,
            step: 0,
            phase: Phase::Baseline,
            perturbed: false,
            asked: false,
            baseline: T::ZERO,
            plus_losses: [T::ZERO; MAX_PROBES],
            deltas: [T::ZERO; MAX_PROBES],
            pending_update: None,
            counters: Counters::default(),
            last_report: None,
        })
    }

    /// The shared settings.
    pub fn config(&self) -> &PerturbConfig<T> {
        &self.config
    }

    /// The rule and its state.
    pub fn rule(&self) -> &R {
        &self.rule
    }

    /// Number of parameters.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The index of the step in progress (= steps completed or rejected so far).
    pub fn step_index(&self) -> u64 {
        self.step
    }

    /// Work counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The report of the last applied update.
    pub fn last_report(&self) -> Option<&StepReport<T>> {
        self.last_report.as_ref()
    }

    /// `true` when the parameters currently hold a probe's perturbation
    /// (between an `ask` for a probe and its `tell`).
    pub fn is_perturbed(&self) -> bool {
        self.perturbed
    }

    fn noise(&self, step: u64) -> StepNoise {
        StepNoise {
            seed: self.config.seed,
            step,
            kind: self.config.noise,
        }
    }

    fn signed_sigma(&self, side: Side) -> T {
        match side {
            Side::Plus => self.config.sigma,
            Side::Minus => -self.config.sigma,
        }
    }

    /// Puts the parameters where the next loss must be evaluated and says what
    /// that loss is. Calling it again before `tell` changes nothing.
    ///
    /// Errors: wrong length; at a baseline, parameters that hold NaN or
    /// infinite values.
    pub fn ask(&mut self, params: &mut [T]) -> Result<Query, Error> {
        check_len(self.dim, params.len())?;
        match self.phase {
            Phase::Baseline => {
                if !self.asked && params.iter().any(|w| !w.is_finite()) {
                    return Err(Error::NonFiniteParameters);
                }
                self.asked = true;
                Ok(Query::Baseline)
            }
            Phase::Probe { probe, side } => {
                if !self.perturbed {
                    let stream = self.noise(self.step).stream(probe);
                    perturb(params, &stream, self.signed_sigma(side));
                    self.perturbed = true;
                }
                self.asked = true;
                Ok(Query::Probe { probe, side })
            }
        }
    }

    /// Takes the loss at the point `ask` prepared and does what the rule says:
    /// restore a probe, move to the next one, update, or undo.
    ///
    /// Errors (nothing changes): wrong length, or no `ask` before.
    pub fn tell(&mut self, params: &mut [T], loss: T) -> Result<Told<T>, Error> {
        check_len(self.dim, params.len())?;
        if !self.asked {
            return Err(Error::TellWithoutAsk);
        }
        self.asked = false;
        self.counters.forward_passes += 1;
        match self.phase {
            Phase::Baseline => Ok(self.tell_baseline(params, loss)),
            Phase::Probe { probe, side } => {
                let stream = self.noise(self.step).stream(probe);
                restore(params, &stream, self.signed_sigma(side));
                self.perturbed = false;
                Ok(self.tell_probe(params, probe, side, loss))
            }
        }
    }

    fn tell_baseline(&mut self, params: &mut [T], loss: T) -> Told<T> {
        if !loss.is_finite() {
            self.counters.consecutive_rejections += 1;
            if let Some(step) = self.pending_update.take() {
                let noise = self.noise(step);
                self.rule.undo(params, &noise);
                self.rule.on_divergence();
                self.counters.undone_updates += 1;
                return Told::Rejected(Rejection::UpdateUndone);
            }
            self.counters.non_finite_baselines += 1;
            return Told::Rejected(Rejection::NonFiniteBaseline);
        }
        self.pending_update = None;
        self.counters.consecutive_rejections = 0;
        self.baseline = loss;
        self.phase = Phase::Probe {
            probe: 0,
            side: Side::Plus,
        };
        Told::Baseline { loss }
    }

    fn tell_probe(&mut self, params: &mut [T], probe: usize, side: Side, loss: T) -> Told<T> {
        if !loss.is_finite() {
            self.counters.rejected_probes += 1;
            self.counters.consecutive_rejections += 1;
            self.finish_step();
            return Told::Rejected(Rejection::NonFiniteProbe);
        }
        let next = match (self.config.rpe, side) {
            (RpeMode::Forward, _) => {
                self.deltas[probe] = self.baseline - loss;
                probe + 1
            }
            (RpeMode::Antithetic, Side::Plus) => {
                self.plus_losses[probe] = loss;
                self.phase = Phase::Probe {
                    probe,
                    side: Side::Minus,
                };
                return Told::Probed;
            }
            (RpeMode::Antithetic, Side::Minus) => {
                self.deltas[probe] = (loss - self.plus_losses[probe]) * T::from_f64(0.5);
                probe + 1
            }
        };
        if next < self.config.probes {
            self.phase = Phase::Probe {
                probe: next,
                side: Side::Plus,
            };
            return Told::Probed;
        }
        self.update(params)
    }

    fn update(&mut self, params: &mut [T]) -> Told<T> {
        let k = self.config.probes;
        let eta = self.config.eta * self.config.schedule.factor(self.step);
        let ctx = UpdateContext {
            deltas: &self.deltas[..k],
            sigma: self.config.sigma,
            eta,
        };
        let noise = self.noise(self.step);
        let signal = self.rule.update(params, &noise, &ctx);
        let mut mean_delta = T::ZERO;
        for d in &self.deltas[..k] {
            mean_delta += *d;
        }
        let report = StepReport {
            step: self.step,
            baseline_loss: self.baseline,
            mean_delta: mean_delta / T::from_usize(k),
            last_delta: self.deltas[k - 1],
            eta,
            signal,
        };
        let step = self.step;
        self.finish_step();
        if !signal.applied {
            self.counters.skipped_updates += 1;
            self.counters.consecutive_rejections += 1;
            return Told::Rejected(Rejection::UpdateTooLarge);
        }
        self.counters.updates += 1;
        self.pending_update = Some(step);
        self.last_report = Some(report);
        Told::Updated(report)
    }

    fn finish_step(&mut self) {
        self.step += 1;
        self.phase = Phase::Baseline;
    }

    /// One whole step: baseline, probes and update, with `loss` evaluating
    /// the parameters it is given. Returns after an update or a rejection.
    ///
    /// ```
    /// use dopamine_core::{Dopamine1, Dopamine1Rule, PerturbConfig, StepOutcome};
    ///
    /// let mut w = [3.0f64, -2.0];
    /// let config = PerturbConfig { sigma: 1e-3, eta: 0.05, seed: 7, ..Default::default() };
    /// let mut opt = Dopamine1::new(config, Dopamine1Rule::default(), w.len()).unwrap();
    /// let loss = |p: &[f64]| p.iter().map(|x| x * x).sum::<f64>();
    /// for _ in 0..500 {
    ///     if let StepOutcome::Rejected(why) = opt.step(&mut w, loss).unwrap() {
    ///         panic!("rejected: {why:?}");
    ///     }
    /// }
    /// assert!(loss(&w) < 1e-2, "loss {}", loss(&w));
    /// ```
    pub fn step<F: FnMut(&[T]) -> T>(
        &mut self,
        params: &mut [T],
        mut loss: F,
    ) -> Result<StepOutcome<T>, Error> {
        loop {
            self.ask(params)?;
            let value = loss(params);
            match self.tell(params, value)? {
                Told::Baseline { .. } | Told::Probed => {}
                Told::Updated(report) => return Ok(StepOutcome::Updated(report)),
                Told::Rejected(why) => return Ok(StepOutcome::Rejected(why)),
            }
        }
    }
}
