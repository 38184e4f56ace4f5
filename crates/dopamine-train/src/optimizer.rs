//! The open [`Optimizer`] trait and the step it reports ([`StepInfo`]); population steps over `dopamine-core`'s one batch interface ([`population_step`]).
//!
//! Three kinds of optimizer take a step through the same trait:
//!
//! * **perturbation rules run point by point**: `dopamine-core`'s
//!   [`PerturbationOptimizer`](dopamine_core::PerturbationOptimizer) with
//!   any rule that implements [`NamedRule`](crate::NamedRule) (WP, Dopamine-1, Dopamine-2, or a
//!   rule of your own) — ask/tell, the parameters moved in place;
//! * **population steps**: an optimizer that knows a step's evaluation points
//!   in advance (`dopamine-core`'s [`PopulationOptimizer`]: plan, evaluate
//!   all, tell all losses; the perturbation rules, OpenES and SNES), so
//!   an objective can evaluate the whole population in one sweep and a
//!   [`crate::ProbePool`] can evaluate it on threads. The perturbation rules
//!   are population steps too; an evolution strategy is one ("build 2K
//!   points, evaluate, tell all losses") without an ask/tell form;
//! * **gradient methods** ([`GradientDescent`](crate::GradientDescent) with SGD or Adam), which call
//!   [`crate::Objective::loss_and_gradient`].
//!
//! The trainer knows only this trait, so a new optimizer is a new
//! implementation, not an edit of the trainer; the built-in ones are in
//! [`crate::optimizers`]. Its state goes into
//! checkpoints as bytes ([`Optimizer::save_state`]); [`crate::encode_state`]
//! writes any serde type.

use dopamine_core::{
    CodingReport, Plan, PopulationOptimizer, Real, RpeReport, StepOutcome, StepReport,
};
use dopamine_nets::Scalar;
use serde::{Deserialize, Serialize};

use crate::error::{CheckpointError, TrainError};
use crate::objective::{Objective, PlanScratch};

/// What one optimizer step did. Losses and rates are `f64` whatever the
/// parameters' type, for reporting; what a method does not have is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct StepInfo {
    /// Loss at the parameters the step started from (for SNES, the mean
    /// loss of its points).
    pub loss: f64,
    /// Forward passes the step used.
    pub forward_passes: u64,
    /// Backward passes the step used.
    pub backward_passes: u64,
    /// Effective learning rate (WP units for the perturbation rules; lr for SGD/Adam).
    pub effective_eta: f64,
    /// The step's RPEs (the perturbation rules); `None` for a method without RPE.
    pub rpe: Option<RpeReport<f64>>,
    /// The RPE statistics after the step (the Dopamine rules); `None` otherwise.
    pub coding: Option<CodingReport<f64>>,
    /// The step was rejected and rolled back (non-finite loss).
    pub rejected: bool,
    /// FLOPs the step did beyond its passes (Dopamine-3's eligibility
    /// arithmetic and updates), added to the run's FLOPs; 0 for the others.
    #[serde(default)]
    pub extra_flops: u64,
}

impl StepInfo {
    /// Copies an applied update's report: its loss estimate, rate, RPEs and
    /// RPE statistics.
    pub fn record_update<T: Real>(&mut self, report: &StepReport<T>) {
        self.loss = report.baseline_loss.to_f64();
        self.effective_eta = report.effective_eta.to_f64();
        self.rpe = report.rpe.map(|r| RpeReport {
            mean_delta: r.mean_delta.to_f64(),
            last_delta: r.last_delta.to_f64(),
        });
        self.coding = report.coding.map(|c| CodingReport {
            expected_rpe: c.expected_rpe.to_f64(),
            surprise_size: c.surprise_size.to_f64(),
        });
    }

    /// The step of a population method that evaluated `losses` (every
    /// point is charged) and ended with `outcome`. A rejected step's loss
    /// is the first point's.
    pub fn from_outcome<T: Real>(outcome: &StepOutcome<T>, losses: &[T]) -> Self {
        let mut info = StepInfo {
            loss: losses.first().map_or(f64::NAN, |l| l.to_f64()),
            forward_passes: losses.len() as u64,
            ..Default::default()
        };
        match outcome {
            StepOutcome::Updated(r) => info.record_update(r),
            StepOutcome::Rejected(_) => info.rejected = true,
        }
        info
    }
}

/// An optimizer the trainer can run: one step at a time on an
/// [`Objective`], with its whole state saved to and restored from bytes.
pub trait Optimizer<T: Scalar>: Send {
    /// A short name (`WP`, `Dopamine-1`, `SGD`, or your own), recorded in
    /// checkpoints: a checkpoint resumes only into an optimizer of the same name.
    fn name(&self) -> &str;

    /// The number of parameters it was built for.
    fn dim(&self) -> usize;

    /// Called by the trainer once before its first step on `objective`
    /// (and again when a run continues): an optimizer that needs more of
    /// the objective than its parameters (Dopamine-3: its neurons) checks
    /// and builds what it needs here, so that an objective that cannot be
    /// trained is a typed error before any step. Nothing by default.
    fn prepare(&mut self, objective: &mut dyn Objective<T>) -> Result<(), TrainError> {
        let _ = objective;
        Ok(())
    }

    /// One whole step on `objective`: evaluate, update (or reject and roll
    /// back) the objective's parameters, report.
    fn step(&mut self, objective: &mut dyn Objective<T>) -> Result<StepInfo, TrainError>;

    /// The optimizer as a population method, when its steps are a set of
    /// points known in advance (`dopamine-core`'s one batch interface:
    /// the perturbation rules, OpenES, SNES). The trainer uses it for
    /// objectives that [prefer populations](Objective::prefers_population);
    /// a [`crate::ProbePool`] uses it to evaluate the points on threads.
    fn population(&mut self) -> Option<&mut dyn PopulationOptimizer<T>> {
        None
    }

    /// The learning rate in force now (after any schedule or halving), for
    /// reports; `NaN` when the optimizer has no single rate.
    fn current_rate(&self) -> f64 {
        f64::NAN
    }

    /// The optimizer's whole state (rule state, counters, noise position,
    /// buffers) as bytes.
    fn save_state(&self) -> Result<Vec<u8>, CheckpointError>;

    /// Restores a state written by [`Optimizer::save_state`] of an optimizer
    /// of the same name. Errors (nothing changes): bytes that do not decode,
    /// or a state for another number of parameters.
    fn load_state(&mut self, state: &[u8]) -> Result<(), CheckpointError>;
}

/// Buffers of a population step: the parameters the step is planned at,
/// the losses and the objective's scratch. Kept across steps, so a step
/// allocates nothing once they have grown.
#[derive(Debug, Clone, Default)]
pub struct PopulationScratch<T> {
    at: Vec<T>,
    losses: Vec<T>,
    plan: PlanScratch<T>,
}

impl<T: Scalar> PopulationScratch<T> {
    /// Empty buffers.
    pub fn new() -> Self {
        Self {
            at: Vec::new(),
            losses: Vec::new(),
            plan: PlanScratch::new(),
        }
    }
}

/// One population step: plan at the objective's parameters, evaluate every
/// point with [`Objective::evaluate_plan`], tell all the losses (every
/// point is charged).
pub fn population_step<T: Scalar>(
    step: &mut dyn PopulationOptimizer<T>,
    objective: &mut dyn Objective<T>,
    scratch: &mut PopulationScratch<T>,
) -> Result<StepInfo, TrainError> {
    use dopamine_core::Population;
    scratch.at.clear();
    scratch.at.extend_from_slice(objective.params());
    {
        let plan: Plan<'_, T> = step.plan(objective.params())?;
        scratch.losses.clear();
        scratch.losses.resize(plan.len(), T::ZERO);
        objective.evaluate_plan(&plan, &scratch.at, &mut scratch.losses, &mut scratch.plan)?;
    }
    let outcome = step.tell_all(objective.params_mut(), &scratch.losses)?;
    Ok(StepInfo::from_outcome(&outcome, &scratch.losses))
}

/// Runs one step of `optimizer` on `objective` the way the objective
/// prefers: a population step when it [prefers
/// populations](Objective::prefers_population) and the optimizer has one,
/// otherwise [`Optimizer::step`].
pub fn step_preferred<T: Scalar>(
    optimizer: &mut dyn Optimizer<T>,
    objective: &mut dyn Objective<T>,
    scratch: &mut PopulationScratch<T>,
) -> Result<StepInfo, TrainError> {
    if objective.prefers_population() {
        if let Some(step) = optimizer.population() {
            return population_step(step, objective, scratch);
        }
    }
    optimizer.step(objective)
}

/// A boxed optimizer (what [`crate::OptimizerSpec::build`] returns) is an optimizer.
impl<T: Scalar, O: Optimizer<T> + ?Sized> Optimizer<T> for Box<O> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn prepare(&mut self, objective: &mut dyn Objective<T>) -> Result<(), TrainError> {
        (**self).prepare(objective)
    }
    fn step(&mut self, objective: &mut dyn Objective<T>) -> Result<StepInfo, TrainError> {
        (**self).step(objective)
    }
    fn population(&mut self) -> Option<&mut dyn PopulationOptimizer<T>> {
        (**self).population()
    }
    fn current_rate(&self) -> f64 {
        (**self).current_rate()
    }
    fn save_state(&self) -> Result<Vec<u8>, CheckpointError> {
        (**self).save_state()
    }
    fn load_state(&mut self, state: &[u8]) -> Result<(), CheckpointError> {
        (**self).load_state(state)
    }
}
