//! [`ProbePool`]: the evaluations of one population step run on several threads, bit-identical to the sequential step.
//!
//! 1. [`PopulationOptimizer::plan`](dopamine_core::PopulationOptimizer::plan) announces the step's points (a
//!    perturbation rule's baseline and each probe's sides, or SNES's
//!    population).
//! 2. One thread evaluates the unperturbed point, if the step has one (the
//!    baseline), on the objective itself while another builds the other
//!    points, in order, into per-evaluation clones of the objective with
//!    [`Population::build_point`] (bit for bit the points the sequential
//!    step evaluates, restore drift included); then every point is
//!    evaluated on a `rayon` pool of the chosen size.
//! 3. [`PopulationOptimizer::tell_all`](dopamine_core::PopulationOptimizer::tell_all) finishes the step with all the
//!    losses: the update, the RPE statistics and every later step are
//!    bit-identical to the sequential step (tested in `tests/probe_pool.rs`).
//!
//! The serial part left is `tell_all`'s pass over the parameters (the
//! restores' rounding, one noise pass per probe) and the update. An
//! optimizer without a population step takes its ordinary step.

use dopamine_core::{Plan, Population};
use rayon::prelude::*;

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::objective::Objective;
use crate::optimizer::{Optimizer, StepInfo};

/// A thread pool and per-probe clones of an objective, reused across steps.
pub struct ProbePool<T, O> {
    pool: rayon::ThreadPool,
    threads: usize,
    /// One objective per evaluation of a step but the baseline (grown on first use).
    scratch: Vec<O>,
    /// The base the points are built from, moved past each point.
    base: Vec<T>,
    /// The probe losses, in plan order.
    probe_losses: Vec<T>,
    /// Every loss of the step, in plan order.
    losses: Vec<T>,
}

impl<T: Float, O: Objective<T> + Clone> ProbePool<T, O> {
    /// A pool of `threads` threads (at least 1) for steps on clones of `objective`.
    pub fn new(objective: &O, threads: usize) -> Result<Self, TrainError> {
        let threads = threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("probe-{i}"))
            .build()
            .map_err(|e| SpecError::new("threads", format!("probe thread pool: {e}")))?;
        Ok(Self {
            pool,
            threads,
            scratch: Vec::new(),
            base: objective.params().to_vec(),
            probe_losses: Vec::new(),
            losses: Vec::new(),
        })
    }

    /// Threads of the pool.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// One whole step of `optimizer` on `objective`, the evaluations of a
    /// population step in parallel. An optimizer without a population step
    /// (or in the middle of an ask/tell step) takes its ordinary step.
    pub fn step(
        &mut self,
        optimizer: &mut dyn Optimizer<T>,
        objective: &mut O,
    ) -> Result<StepInfo, TrainError> {
        let Some(step) = optimizer.population() else {
            return optimizer.step(objective);
        };
        match step.plan(objective.params()) {
            Ok(plan) => self.evaluate(plan, objective)?,
            Err(dopamine_core::Error::BatchOutOfOrder) => return optimizer.step(objective),
            Err(e) => return Err(e.into()),
        }
        let Some(step) = optimizer.population() else {
            return Err(dopamine_core::Error::BatchOutOfOrder.into());
        };
        let outcome = step.tell_all(objective.params_mut(), &self.losses)?;
        Ok(StepInfo::from_outcome(&outcome, &self.losses))
    }

    /// Evaluates every point of `plan` into `self.losses`, in plan order.
    fn evaluate(&mut self, plan: Plan<'_, T>, objective: &mut O) -> Result<(), TrainError> {
        let has_baseline = plan.is_unperturbed(0);
        let first_probe = usize::from(has_baseline);
        let probes = plan.len() - first_probe;
        while self.scratch.len() < probes {
            self.scratch.push(objective.clone());
        }
        self.base.clear();
        self.base.extend_from_slice(objective.params());
        let scratch = &mut self.scratch[..probes];
        let base = &mut self.base;
        let probe_losses = &mut self.probe_losses;
        // The baseline is evaluated on the objective itself while the probe
        // points are built; then every probe is evaluated.
        let objective_ref = &mut *objective;
        let baseline = self.pool.install(|| {
            let (baseline, built) = rayon::join(
                || has_baseline.then(|| objective_ref.loss()),
                || -> Result<(), dopamine_core::Error> {
                    for (j, target) in scratch.iter_mut().enumerate() {
                        plan.build_point(first_probe + j, base, target.params_mut())?;
                    }
                    scratch
                        .par_iter_mut()
                        .with_max_len(1)
                        .map(|o| o.loss())
                        .collect_into_vec(probe_losses);
                    Ok(())
                },
            );
            built.map(|()| baseline)
        })?;
        self.losses.clear();
        self.losses.extend(baseline);
        self.losses.extend_from_slice(&self.probe_losses);
        Ok(())
    }
}
