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
//! With [`BaselinePolicy::FromProbes`] (antithetic RPE only) step 1 is
//! skipped: the first probe loss after an update plays its part in the
//! safety net, and a step costs exactly its `2K` evaluations.
//!
//! The safety net: a non-finite loss at a probe restores the parameters and
//! abandons the step; a non-finite loss right after an update undoes the
//! update (its noise is regenerated from the seeds). Either way the
//! parameters are back where the step began (up to the rounding of the
//! in-place restores), and `tell` says so with [`Told::Rejected`]. An update
//! that would take a weight beyond [`crate::step_noise::weight_limit`] is
//! skipped before anything is written. Each step that reaches its probes
//! consumes its own noise keys.
//!
//! The same step runs as a batch ([`PerturbationOptimizer::plan`],
//! [`PerturbationOptimizer::tell_all`]; see [`crate::batch`]): given the same
//! losses it leaves bit for bit the parameters and state ask/tell leaves.

use crate::batch::StepPlan;
use crate::config::{BaselinePolicy, MAX_PROBES, PerturbConfig, RpeMode};
use crate::error::{Error, check_len};
use crate::layout::{Block, ParamLayout};
use crate::query::{Query, Side};
use crate::real::Real;
use crate::report::{Counters, Rejection, RpeReport, StepOutcome, StepReport, Told};
use crate::rule::{StepNoise, UpdateContext, UpdateRule};
use crate::rules::dopamine1::Dopamine1Rule;
use crate::rules::dopamine2::Dopamine2Rule;
use crate::rules::open_es::OpenEsRule;
use crate::rules::second_moment::NoMoment;
use crate::rules::wp::WpRule;
use crate::step_noise::weight_limit;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Weight perturbation with a fixed or scheduled learning rate.
pub type Wp<T> = PerturbationOptimizer<T, WpRule<T>>;
/// Dopamine-1: adaptive coding of the RPE sets the learning rate. `U` is the
/// storage of the optional second-moment normalisation ([`NoMoment`]: off).
pub type Dopamine1<T, U = NoMoment> = PerturbationOptimizer<T, Dopamine1Rule<T, U>>;
/// Dopamine-2: Dopamine-1 with an eligibility trace stored in `S`; `U` as
/// for [`Dopamine1`].
pub type Dopamine2<T, S, U = NoMoment> = PerturbationOptimizer<T, Dopamine2Rule<T, S, U>>;
/// OpenES (Salimans et al. 2017): antithetic pairs, centred ranks, Adam; its
/// moments are stored in `S` (`2P` values). Needs antithetic RPE without a
/// baseline ([`PerturbConfig::antithetic`]).
pub type OpenEs<T, S> = PerturbationOptimizer<T, OpenEsRule<T, S>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
enum Phase {
    Baseline,
    Probe { probe: usize, side: Side },
}

/// Where every step starts: the baseline, or the first probe when the
/// baseline is skipped.
fn first_phase<T>(config: &PerturbConfig<T>) -> Phase {
    match config.baseline {
        BaselinePolicy::Evaluate => Phase::Baseline,
        BaselinePolicy::FromProbes => Phase::Probe {
            probe: 0,
            side: Side::Plus,
        },
    }
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
    layout: ParamLayout,
    step: u64,
    phase: Phase,
    /// The parameters currently hold the perturbation of `phase`.
    perturbed: bool,
    /// `ask` was called for `phase`.
    asked: bool,
    baseline: T,
    plus_losses: [T; MAX_PROBES],
    /// The minus sides' losses of the step (antithetic RPE).
    minus_losses: [T; MAX_PROBES],
    deltas: [T; MAX_PROBES],
    /// Sum of the probe losses of the step so far (the baseline estimate of
    /// [`BaselinePolicy::FromProbes`]).
    probe_loss_sum: T,
    /// `max |w|` at the start of the step.
    param_max_abs: T,
    /// A batch step was planned and awaits `tell_all`.
    planned: bool,
    /// Step of the last update whose follow-up loss has not been seen yet.
    pending_update: Option<u64>,
    counters: Counters,
    #[cfg_attr(
        feature = "serde",
        serde(bound(
            serialize = "T: Real + Serialize",
            deserialize = "T: Real + Deserialize<'de>"
        ))
    )]
    last_report: Option<StepReport<T>>,
}

impl<T: Real, R: UpdateRule<T>> PerturbationOptimizer<T, R> {
    /// Builds an optimizer for `dim` unstructured parameters; validates
    /// every setting. Low-rank noise needs [`PerturbationOptimizer::with_layout`].
    pub fn new(config: PerturbConfig<T>, rule: R, dim: usize) -> Result<Self, Error> {
        if dim == 0 {
            return Err(Error::EmptyParameters);
        }
        Self::with_layout(config, rule, ParamLayout::flat(dim)?)
    }

    /// Builds an optimizer for parameters laid out as `layout` (its blocks
    /// cover them exactly); validates every setting, and for low-rank noise
    /// the rank against every matrix block.
    pub fn with_layout(
        config: PerturbConfig<T>,
        rule: R,
        layout: ParamLayout,
    ) -> Result<Self, Error> {
        config.validate()?;
        let dim = layout.num_params();
        layout.validate(dim, config.rank())?;
        if config.rank().is_some()
            && !layout
                .blocks()
                .iter()
                .any(|b| matches!(b, Block::Matrix { .. }))
        {
            return Err(Error::NoMatrixBlock);
        }
        rule.validate(dim)?;
        rule.validate_config(&config)?;
        let phase = first_phase(&config);
        Ok(Self {
            config,
            rule,
            dim,
            layout,
            step: 0,
            phase,
            perturbed: false,
            asked: false,
            baseline: T::ZERO,
            plus_losses: [T::ZERO; MAX_PROBES],
            minus_losses: [T::ZERO; MAX_PROBES],
            deltas: [T::ZERO; MAX_PROBES],
            probe_loss_sum: T::ZERO,
            param_max_abs: T::ZERO,
            planned: false,
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

    /// The parameter layout (one vector block unless one was given).
    pub fn layout(&self) -> &ParamLayout {
        &self.layout
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

    /// The noise of step `step`.
    pub fn noise(&self, step: u64) -> StepNoise<'_> {
        StepNoise::structured(
            self.config.seed,
            step,
            self.config.noise,
            self.config.structure,
            &self.layout,
        )
    }

    /// `true` when the next `ask` (or `plan`) starts a new step.
    fn at_step_start(&self) -> bool {
        !self.asked && !self.perturbed && !self.planned && self.phase == first_phase(&self.config)
    }

    /// The checks at the start of a step: finite parameters, and room for a
    /// perturbation of size `sigma` below the largest finite value. Records
    /// `max |w|` for the update's overflow check.
    fn begin_step(&mut self, params: &[T]) -> Result<(), Error> {
        let mut max_abs = T::ZERO;
        for w in params {
            if !w.is_finite() {
                return Err(Error::NonFiniteParameters);
            }
            max_abs = max_abs.max(w.abs());
        }
        if max_abs.to_f64() > self.weight_limit() {
            return Err(Error::PerturbationOverflow);
        }
        self.param_max_abs = max_abs;
        Ok(())
    }

    /// The largest `|w|` an update may leave: room below `T::MAX` for the
    /// next probe's perturbation and for an undo.
    fn weight_limit(&self) -> f64 {
        weight_limit(self.config.sigma, self.noise(self.step).max_abs())
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
    /// Errors (nothing changes): wrong length; a batch step in progress;
    /// at the start of a step, parameters that hold NaN or infinite values
    /// or lie so close to the largest finite value that a perturbation could
    /// overflow ([`Error::PerturbationOverflow`]).
    pub fn ask(&mut self, params: &mut [T]) -> Result<Query, Error> {
        check_len(self.dim, params.len())?;
        if self.planned {
            return Err(Error::BatchOutOfOrder);
        }
        if self.at_step_start() {
            self.begin_step(params)?;
        }
        match self.phase {
            Phase::Baseline => {
                self.asked = true;
                Ok(Query::Baseline)
            }
            Phase::Probe { probe, side } => {
                if !self.perturbed {
                    let sigma = self.signed_sigma(side);
                    self.noise(self.step).perturb(params, probe, sigma);
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
                let sigma = self.signed_sigma(side);
                self.noise(self.step).restore(params, probe, sigma);
                self.perturbed = false;
                Ok(self.tell_probe(params, probe, side, loss))
            }
        }
    }

    /// Undoes the pending update after a non-finite loss that followed it.
    fn undo_pending(&mut self, params: &mut [T], step: u64) {
        let noise = StepNoise::structured(
            self.config.seed,
            step,
            self.config.noise,
            self.config.structure,
            &self.layout,
        );
        self.rule.undo(params, &noise);
        self.rule.on_divergence();
        self.counters.undone_updates += 1;
    }

    fn tell_baseline(&mut self, params: &mut [T], loss: T) -> Told<T> {
        if !loss.is_finite() {
            self.counters.consecutive_rejections += 1;
            if let Some(step) = self.pending_update.take() {
                self.undo_pending(params, step);
                return Told::Rejected(Rejection::UpdateUndone);
            }
            self.counters.non_finite_baselines += 1;
            return Told::Rejected(Rejection::NonFiniteBaseline);
        }
        self.pending_update = None;
        self.counters.consecutive_rejections = 0;
        self.baseline = loss;
        self.probe_loss_sum = T::ZERO;
        self.phase = Phase::Probe {
            probe: 0,
            side: Side::Plus,
        };
        Told::Baseline { loss }
    }

    fn tell_probe(&mut self, params: &mut [T], probe: usize, side: Side, loss: T) -> Told<T> {
        let first = probe == 0 && side == Side::Plus;
        if first && self.config.baseline == BaselinePolicy::FromProbes {
            // No baseline: the step's first evaluation judges the last update.
            self.probe_loss_sum = T::ZERO;
            if !loss.is_finite() {
                if let Some(step) = self.pending_update.take() {
                    self.counters.consecutive_rejections += 1;
                    self.undo_pending(params, step);
                    self.finish_step();
                    return Told::Rejected(Rejection::UpdateUndone);
                }
            } else {
                self.pending_update = None;
                self.counters.consecutive_rejections = 0;
            }
        }
        if !loss.is_finite() {
            self.counters.rejected_probes += 1;
            self.counters.consecutive_rejections += 1;
            self.finish_step();
            return Told::Rejected(Rejection::NonFiniteProbe);
        }
        self.probe_loss_sum += loss;
        let next = match (self.config.rpe, side) {
            (RpeMode::Forward, _) => {
                self.plus_losses[probe] = loss;
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
                self.minus_losses[probe] = loss;
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
        if self.config.baseline == BaselinePolicy::FromProbes {
            let evaluations = T::from_usize(k * self.config.sides());
            self.baseline = self.probe_loss_sum / evaluations;
        }
        // The probe losses in plan order.
        let sides = self.config.sides();
        let mut losses = [T::ZERO; 2 * MAX_PROBES];
        for (p, pair) in losses.chunks_exact_mut(sides).take(k).enumerate() {
            pair[0] = self.plus_losses[p];
            if sides == 2 {
                pair[1] = self.minus_losses[p];
            }
        }
        let ctx = UpdateContext {
            deltas: &self.deltas[..k],
            losses: &losses[..k * sides],
            sigma: self.config.sigma,
            eta,
            param_max_abs: self.param_max_abs,
            weight_limit: self.weight_limit(),
        };
        let noise = StepNoise::structured(
            self.config.seed,
            self.step,
            self.config.noise,
            self.config.structure,
            &self.layout,
        );
        let signal = self.rule.update(params, &noise, &ctx);
        let mut mean_delta = T::ZERO;
        for d in &self.deltas[..k] {
            mean_delta += *d;
        }
        let report = StepReport {
            step: self.step,
            baseline_loss: self.baseline,
            eta,
            effective_eta: signal.effective_eta,
            rpe: Some(RpeReport {
                mean_delta: mean_delta / T::from_usize(k),
                last_delta: self.deltas[k - 1],
            }),
            coding: signal.coding,
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
        self.phase = first_phase(&self.config);
    }

    /// Starts a batch step: checks the parameters as `ask` does at the
    /// start of a step and returns the step's [`StepPlan`] — its evaluation
    /// points in order and how to build them. Finish it with
    /// [`PerturbationOptimizer::tell_all`].
    ///
    /// Errors (nothing changes): wrong length; an ask/tell step in progress
    /// ([`Error::BatchOutOfOrder`]); non-finite parameters; parameters too
    /// close to the largest finite value ([`Error::PerturbationOverflow`]).
    /// Planning again before `tell_all` gives the same plan.
    /// See [`crate::batch`] for an example.
    pub fn plan(&mut self, params: &[T]) -> Result<StepPlan<T>, Error> {
        check_len(self.dim, params.len())?;
        if !self.planned && !self.at_step_start() {
            return Err(Error::BatchOutOfOrder);
        }
        self.begin_step(params)?;
        self.planned = true;
        Ok(StepPlan::new(&self.config, self.step, self.layout))
    }

    /// The plan of the batch step in progress (after [`Self::plan`], before
    /// [`Self::tell_all`]): the plan `plan` returned. `None` otherwise.
    pub fn current_plan(&self) -> Option<StepPlan<T>> {
        self.planned
            .then(|| StepPlan::new(&self.config, self.step, self.layout))
    }

    /// Finishes a batch step with the loss of every point of its plan, in
    /// plan order: restores, updates, undoes or rejects exactly as the same
    /// losses told one at a time through ask/tell would, and leaves the same
    /// parameters, bit for bit. `params` must be the parameters `plan` saw.
    ///
    /// Errors (nothing changes): wrong length of `params` or `losses`; no
    /// `plan` before ([`Error::BatchOutOfOrder`]).
    pub fn tell_all(&mut self, params: &mut [T], losses: &[T]) -> Result<StepOutcome<T>, Error> {
        check_len(self.dim, params.len())?;
        if !self.planned {
            return Err(Error::BatchOutOfOrder);
        }
        let plan = StepPlan::new(&self.config, self.step, self.layout);
        check_len(plan.len(), losses.len())?;
        self.planned = false;
        self.counters.forward_passes += losses.len() as u64;
        let noise_step = self.step;
        let mut e = 0;
        while e < losses.len() {
            let told = match plan.point(e) {
                Query::Baseline => {
                    e += 1;
                    self.tell_baseline(params, losses[e - 1])
                }
                Query::Probe { probe, side } => {
                    // Walk past every side of this probe that ask/tell would
                    // have evaluated: the minus side only after a finite plus side.
                    let both = side == Side::Plus
                        && self.config.rpe == RpeMode::Antithetic
                        && losses[e].is_finite();
                    let sigma = self.signed_sigma(side);
                    let noise = StepNoise::structured(
                        self.config.seed,
                        noise_step,
                        self.config.noise,
                        self.config.structure,
                        &self.layout,
                    );
                    if both {
                        noise.walk(params, probe, &[sigma, -sigma]);
                    } else {
                        noise.walk(params, probe, &[sigma]);
                    }
                    let mut told = self.tell_probe(params, probe, side, losses[e]);
                    e += 1;
                    if both && matches!(told, Told::Probed) {
                        told = self.tell_probe(params, probe, Side::Minus, losses[e]);
                        e += 1;
                    }
                    told
                }
            };
            match told {
                Told::Baseline { .. } | Told::Probed => {}
                Told::Updated(report) => return Ok(StepOutcome::Updated(report)),
                Told::Rejected(why) => {
                    // A rejected baseline leaves the step where it was; the
                    // batch step is over either way.
                    self.phase = first_phase(&self.config);
                    return Ok(StepOutcome::Rejected(why));
                }
            }
        }
        unreachable!("the last point of a plan always completes or rejects the step")
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
