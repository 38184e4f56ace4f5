//! Parallel probes: the evaluations of one step run on several threads through the kernel's batch-step API, bit-identical to the sequential step.
//!
//! 1. [`PerturbationOptimizer::plan`] announces the step's points (baseline,
//!    then each probe's sides).
//! 2. One thread evaluates the baseline on the objective itself while
//!    another builds the probe points, in order, into per-evaluation clones
//!    of the objective with [`dopamine_core::StepPlan::build_point`] (bit for
//!    bit the points the sequential step evaluates, restore drift included);
//!    then every probe is evaluated on a `rayon` pool of the chosen size.
//! 3. [`PerturbationOptimizer::tell_all`] finishes the step with all the
//!    losses: the update, the RPE statistics and every later step are
//!    bit-identical to the sequential step (tested in `tests/parallel_probes.rs`).
//!
//! The serial part left is `tell_all`'s pass over the parameters (the
//! restores' rounding, one noise pass per probe) and the update.

use dopamine_core::{PerturbationOptimizer, Query, StepOutcome, UpdateRule};
use rayon::prelude::*;

use crate::error::TrainError;
use crate::objective::Objective;
use crate::optimizer::{StepInfo, perturbation_step_with};

/// A thread pool and per-probe clones of an objective, reused across steps.
pub struct ProbePool<O> {
    pool: rayon::ThreadPool,
    threads: usize,
    /// One objective per probe evaluation of a step (grown on first use).
    scratch: Vec<O>,
    /// The base the points are built from, moved past each point.
    base: Vec<f64>,
    /// The probe losses, in plan order.
    probe_losses: Vec<f64>,
    /// Every loss of the step, in plan order.
    losses: Vec<f64>,
}

impl<O: Objective + Clone> ProbePool<O> {
    /// A pool of `threads` threads (at least 1) for steps on clones of `objective`.
    pub fn new(objective: &O, threads: usize) -> Result<Self, TrainError> {
        let threads = threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("probe-{i}"))
            .build()
            .map_err(|e| TrainError::Config(format!("probe thread pool: {e}")))?;
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

    /// One whole step of `opt` on `objective`, evaluations in parallel.
    /// Falls back to the sequential protocol when `opt` is in the middle of
    /// an ask/tell step.
    pub fn step<R: UpdateRule<f64>>(
        &mut self,
        opt: &mut PerturbationOptimizer<f64, R>,
        objective: &mut O,
    ) -> Result<StepInfo, TrainError> {
        let plan = match opt.plan(objective.params()) {
            Ok(plan) => plan,
            Err(dopamine_core::Error::BatchOutOfOrder) => {
                return perturbation_step_with(opt, objective, |_, o| o.loss());
            }
            Err(e) => return Err(e.into()),
        };
        let has_baseline = plan.point(0) == Query::Baseline;
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
        let outcome = opt.tell_all(objective.params_mut(), &self.losses)?;
        Ok(step_info(outcome, &self.losses))
    }
}

/// What a batch step did, as the trainer records it: every evaluation of the
/// plan was made, so every one is charged.
fn step_info(outcome: StepOutcome<f64>, losses: &[f64]) -> StepInfo {
    let mut info = StepInfo {
        loss: losses[0],
        forward_passes: losses.len() as u64,
        ..Default::default()
    };
    match outcome {
        StepOutcome::Updated(r) => {
            info.loss = r.baseline_loss;
            info.effective_eta = r.signal.effective_eta;
            info.last_delta = r.last_delta;
            info.expected_rpe = r.signal.expected_rpe;
            info.surprise_size = r.signal.surprise_size;
        }
        StepOutcome::Rejected(_) => info.rejected = true,
    }
    info
}
