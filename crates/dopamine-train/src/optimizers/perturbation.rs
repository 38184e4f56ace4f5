//! The perturbation rules (WP, Dopamine-1/2, OpenES) as [`Optimizer`]s: `dopamine-core`'s `PerturbationOptimizer` with any [`NamedRule`].
//!
//! A rule written outside this workspace trains through the trainer, with
//! checkpoints, as soon as it implements `dopamine_core::UpdateRule`,
//! [`NamedRule`] and serde's `Serialize`/`Deserialize`.

use dopamine_core::{
    Dopamine1Rule, Dopamine2Rule, OpenEsRule, PerturbationOptimizer, StepOutcome, StepPlan,
    StepReport, Told, UpdateRule, WpRule,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{CheckpointError, TrainError};
use crate::float::Float;
use crate::objective::Objective;
use crate::optimizer::{Optimizer, PopulationStep, StepInfo};
use crate::state::{decode_state, encode_state};

/// A perturbation rule with a name for reports and checkpoints.
pub trait NamedRule {
    /// The rule's short name (`WP`, `Dopamine-1`, ...).
    const NAME: &'static str;

    /// The factor on the base learning rate that the rule applies itself
    /// (WP halves it after a divergence); 1 for most rules.
    fn rate_scale(&self) -> f64 {
        1.0
    }
}

impl<T: Float> NamedRule for WpRule<T> {
    const NAME: &'static str = "WP";
    fn rate_scale(&self) -> f64 {
        self.eta_scale().to_f64()
    }
}

impl<T: Float, U> NamedRule for Dopamine1Rule<T, U> {
    const NAME: &'static str = "Dopamine-1";
}

impl<T: Float, S, U> NamedRule for Dopamine2Rule<T, S, U> {
    const NAME: &'static str = "Dopamine-2";
}

impl<T: Float, S> NamedRule for OpenEsRule<T, S> {
    const NAME: &'static str = "OpenES";
}

/// The report of an applied update, as the trainer records it.
fn updated<T: Float>(info: &mut StepInfo, r: &StepReport<T>) {
    // Also the loss estimate of a step without a baseline.
    info.loss = r.baseline_loss.to_f64();
    info.effective_eta = r.signal.effective_eta.to_f64();
    info.last_delta = r.last_delta.to_f64();
    info.expected_rpe = r.signal.expected_rpe.to_f64();
    info.surprise_size = r.signal.surprise_size.to_f64();
}

impl<T, R> Optimizer<T> for PerturbationOptimizer<T, R>
where
    T: Float,
    R: UpdateRule<T> + NamedRule + Serialize + DeserializeOwned + Send,
{
    fn name(&self) -> &str {
        R::NAME
    }

    fn dim(&self) -> usize {
        PerturbationOptimizer::dim(self)
    }

    /// Ask/tell until the step's update or rejection, the parameters moved in place.
    fn step(&mut self, objective: &mut dyn Objective<T>) -> Result<StepInfo, TrainError> {
        let mut info = StepInfo {
            loss: f64::NAN,
            ..Default::default()
        };
        loop {
            self.ask(objective.params_mut())?;
            let loss = objective.loss();
            info.forward_passes += 1;
            match self.tell(objective.params_mut(), loss)? {
                Told::Baseline { loss } => info.loss = loss.to_f64(),
                Told::Probed => {}
                Told::Updated(r) => {
                    updated(&mut info, &r);
                    return Ok(info);
                }
                Told::Rejected(_) => {
                    info.rejected = true;
                    return Ok(info);
                }
            }
        }
    }

    fn population(&mut self) -> Option<&mut dyn PopulationStep<T>> {
        Some(self)
    }

    fn current_rate(&self) -> f64 {
        let c = self.config();
        c.eta.to_f64() * c.schedule.factor(self.step_index()).to_f64() * self.rule().rate_scale()
    }

    fn save_state(&self) -> Result<Vec<u8>, CheckpointError> {
        encode_state(self)
    }

    fn load_state(&mut self, state: &[u8]) -> Result<(), CheckpointError> {
        let restored: Self = decode_state(state)?;
        let dim = PerturbationOptimizer::dim(self);
        if PerturbationOptimizer::dim(&restored) != dim {
            return Err(CheckpointError::Invalid(format!(
                "optimizer state is for {} parameters, not {dim}",
                PerturbationOptimizer::dim(&restored)
            )));
        }
        restored
            .rule()
            .validate(dim)
            .map_err(|e| CheckpointError::Invalid(format!("{} state: {e}", R::NAME)))?;
        *self = restored;
        Ok(())
    }
}

impl<T, R> PopulationStep<T> for PerturbationOptimizer<T, R>
where
    T: Float,
    R: UpdateRule<T>,
{
    fn plan(&mut self, params: &[T]) -> Result<StepPlan<T>, TrainError> {
        Ok(PerturbationOptimizer::plan(self, params)?)
    }

    /// Every point of the plan was evaluated, so every one is charged.
    fn tell_all(&mut self, params: &mut [T], losses: &[T]) -> Result<StepInfo, TrainError> {
        let outcome = PerturbationOptimizer::tell_all(self, params, losses)?;
        let mut info = StepInfo {
            loss: losses.first().map_or(f64::NAN, |l| l.to_f64()),
            forward_passes: losses.len() as u64,
            ..Default::default()
        };
        match outcome {
            StepOutcome::Updated(r) => updated(&mut info, &r),
            StepOutcome::Rejected(_) => info.rejected = true,
        }
        Ok(info)
    }
}
