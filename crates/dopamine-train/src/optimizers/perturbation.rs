//! The perturbation rules (WP, Dopamine-1/2, OpenES) as [`Optimizer`]s: `dopamine-core`'s `PerturbationOptimizer` with any [`NamedRule`].
//!
//! A rule written outside this workspace trains through the trainer, with
//! checkpoints, as soon as it implements `dopamine_core::UpdateRule`,
//! [`NamedRule`] and serde's `Serialize`/`Deserialize`.

use dopamine_core::{PerturbationOptimizer, PopulationOptimizer, Told, UpdateRule};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{CheckpointError, TrainError};
use crate::float::Float;
use crate::objective::Objective;
use crate::optimizer::{Optimizer, StepInfo};
use crate::state::{decode_state, encode_state};

/// A perturbation rule with a name for reports and checkpoints (the
/// built-in rules' impls are in their registry entries, `crate::registry`).
pub trait NamedRule {
    /// The rule's short name (`WP`, `Dopamine-1`, ...).
    const NAME: &'static str;

    /// The factor on the base learning rate that the rule applies itself
    /// (WP halves it after a divergence); 1 for most rules.
    fn rate_scale(&self) -> f64 {
        1.0
    }
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
                    info.record_update(&r);
                    return Ok(info);
                }
                Told::Rejected(_) => {
                    info.rejected = true;
                    return Ok(info);
                }
            }
        }
    }

    fn population(&mut self) -> Option<&mut dyn PopulationOptimizer<T>> {
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
