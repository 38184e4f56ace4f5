//! [`Replicas`]: how a run is spread over processes that each hold the whole state, and [`SingleProcess`], the run in one.
//!
//! A perturbation step is a set of points known before any is evaluated,
//! and every optimizer and model state is a pure function of the
//! configuration, the seed and the losses. Several processes that hold the
//! same parameters can therefore share a step's evaluations, exchange only
//! the losses and apply the same update: they stay identical replicas of one
//! run (`dopamine-dist` does this over MPI). The [`crate::Trainer`] runs the
//! loop around such a step unchanged; it needs from the replicas only the
//! step itself, which process writes the checkpoints, and an agreement on
//! the decisions that depend on a clock or on an observer, so that every
//! replica stops, records and checkpoints at the same steps.

use crate::error::TrainError;
use crate::float::Float;
use crate::objective::Objective;
use crate::optimizer::{Optimizer, PopulationScratch, StepInfo, step_preferred};

/// The processes a run is spread over, as the trainer sees them.
///
/// Every replica runs the same trainer with the same settings, optimizer
/// and parameters, and calls these methods in the same order.
pub trait Replicas<T: Float> {
    /// One step of `optimizer` on `objective`, the same on every replica:
    /// afterwards every replica holds the same parameters and optimizer
    /// state, bit for bit, and returns the same [`StepInfo`].
    fn step(
        &mut self,
        optimizer: &mut dyn Optimizer<T>,
        objective: &mut dyn Objective<T>,
        scratch: &mut PopulationScratch<T>,
    ) -> Result<StepInfo, TrainError>;

    /// Whether this replica writes the run's checkpoints; exactly one does.
    fn writes_checkpoints(&self) -> bool;

    /// The writer's `flags` on every replica (a collective call: every
    /// replica passes its own, all get the writer's). The trainer packs its
    /// clock- and observer-dependent decisions into the bits, so the writer
    /// decides them for all.
    fn agree(&mut self, flags: u64) -> u64;
}

/// A run in one process: the step an objective prefers
/// ([`step_preferred`]), this process writes the checkpoints, and its own
/// decisions stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SingleProcess;

impl<T: Float> Replicas<T> for SingleProcess {
    fn step(
        &mut self,
        optimizer: &mut dyn Optimizer<T>,
        objective: &mut dyn Objective<T>,
        scratch: &mut PopulationScratch<T>,
    ) -> Result<StepInfo, TrainError> {
        step_preferred(optimizer, objective, scratch)
    }

    fn writes_checkpoints(&self) -> bool {
        true
    }

    fn agree(&mut self, flags: u64) -> u64 {
        flags
    }
}
