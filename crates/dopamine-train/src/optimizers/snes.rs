//! SNES (Schaul, Glasmachers and Schmidhuber 2011) as an [`Optimizer`]: `dopamine-core`'s [`Snes`] with its `sigma` and a point buffer.
//!
//! A step evaluates the `lambda` points `mu + sigma ∘ s_k` one by one with
//! [`Objective::loss_at`] (so the objective's own parameters, the mean `mu`,
//! never move while the points are evaluated) and then moves the mean; it
//! is charged `lambda` forward passes. Its population step is the kernel's
//! [`Snes`] through [`PopulationOptimizer`], so an objective evaluates its
//! points in one sweep and a [`crate::ProbePool`] on threads, like any
//! perturbation rule's.

use dopamine_core::{PopulationOptimizer, Snes, SnesConfig};
use serde::{Deserialize, Serialize};

use crate::error::{CheckpointError, TrainError};
use crate::float::Float;
use crate::objective::Objective;
use crate::optimizer::{Optimizer, StepInfo};
use crate::state::{decode_state, encode_state};

/// SNES over an objective's parameters: its ordinary step evaluates the
/// points one by one with [`Objective::loss_at`], its population step is
/// the kernel's (see the module docs of `optimizers::snes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnesOptimizer<T> {
    #[serde(bound(
        serialize = "T: dopamine_core::Real + Serialize",
        deserialize = "T: dopamine_core::Real + Deserialize<'de>"
    ))]
    snes: Snes<T, Vec<T>>,
    /// The mean, copied out of the objective for the step.
    #[serde(skip)]
    mean: Vec<T>,
    /// One point.
    #[serde(skip)]
    point: Vec<T>,
    /// Losses of the step's points.
    #[serde(skip)]
    losses: Vec<T>,
}

impl<T: Float> SnesOptimizer<T> {
    /// SNES with `config` for `dim` parameters (every `sigma` starts at
    /// `config.sigma0`), validated.
    pub fn new(config: SnesConfig<T>, dim: usize) -> Result<Self, TrainError> {
        let snes = Snes::new(config, dim, vec![T::ZERO; dim])?;
        Ok(Self {
            snes,
            mean: vec![T::ZERO; dim],
            point: vec![T::ZERO; dim],
            losses: vec![T::ZERO; config.population],
        })
    }

    /// The kernel's optimizer (its `sigma`, counters, last report).
    pub fn snes(&self) -> &Snes<T, Vec<T>> {
        &self.snes
    }
}

impl<T: Float> Optimizer<T> for SnesOptimizer<T> {
    fn name(&self) -> &str {
        "SNES"
    }

    fn dim(&self) -> usize {
        self.snes.dim()
    }

    /// Plans at the objective's parameters, evaluates the `lambda` points
    /// with [`Objective::loss_at`], and moves the mean (or rejects the step,
    /// leaving the parameters as they were).
    fn step(&mut self, objective: &mut dyn Objective<T>) -> Result<StepInfo, TrainError> {
        use dopamine_core::Population;
        let dim = self.snes.dim();
        let lambda = self.snes.population();
        self.mean.clear();
        self.mean.extend_from_slice(objective.params());
        self.point.resize(dim, T::ZERO);
        self.losses.resize(lambda, T::ZERO);
        {
            let plan = self.snes.plan(&self.mean)?;
            for e in 0..lambda {
                plan.build_point(e, &mut self.mean, &mut self.point)?;
                self.losses[e] = objective.loss_at(&self.point);
            }
        }
        let outcome = self.snes.tell_all(objective.params_mut(), &self.losses)?;
        Ok(StepInfo::from_outcome(&outcome, &self.losses))
    }

    fn population(&mut self) -> Option<&mut dyn PopulationOptimizer<T>> {
        Some(&mut self.snes)
    }

    fn current_rate(&self) -> f64 {
        self.snes.config().eta_mu.to_f64()
    }

    fn save_state(&self) -> Result<Vec<u8>, CheckpointError> {
        encode_state(&self.snes)
    }

    fn load_state(&mut self, state: &[u8]) -> Result<(), CheckpointError> {
        let restored: Snes<T, Vec<T>> = decode_state(state)?;
        let dim = self.snes.dim();
        if restored.dim() != dim || restored.sigma().len() != dim {
            return Err(CheckpointError::Invalid(format!(
                "SNES state is for {} parameters, not {dim}",
                restored.dim()
            )));
        }
        self.losses.resize(restored.population(), T::ZERO);
        self.snes = restored;
        Ok(())
    }
}
