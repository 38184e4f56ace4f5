//! Parallel probes: the K probe losses of one step evaluated on several threads, bit-identical to the sequential step.
//!
//! The kernel's ask/tell protocol is sequential (it moves the caller's
//! parameters in place, one probe at a time) and must stay `no_std` and
//! allocation-free. This harness-level helper gets the same step on more
//! threads without touching it:
//!
//! 1. It reproduces, on private copies of the parameters, every point the
//!    sequential step would evaluate. Probe `k` is evaluated at
//!    `w_k + sigma z_k`, where `w_0 = w` and `w_{k+1} = fl(fl(w_k + s_k) - s_k)`
//!    is what the in-place perturb/restore of the previous probe leaves behind
//!    (restore is exact only up to an ulp, and the sequential run sees that
//!    drift). One pass over the parameters per evaluation builds both the
//!    probe's point and the next base, with the kernel's own operations.
//! 2. It evaluates the baseline and every probe at once on a `rayon` pool of
//!    the chosen size, each probe on its own clone of the objective.
//! 3. It replays the step through the optimizer's `ask`/`tell` with the known
//!    losses. The loss values are the same bits as in the sequential step, so
//!    the update, the RPE statistics and every later step are bit-identical
//!    (tested in `tests/parallel_probes.rs`).
//!
//! Step 1 runs on one thread while another evaluates the baseline, so it is
//! hidden behind that forward pass. The serial part left is the replay's
//! perturb and restore of each probe (two noise passes over the parameters,
//! as in the sequential step) and the update.

use dopamine_core::{PerturbationOptimizer, Query, RpeMode, Side, UpdateRule};
use rayon::prelude::*;

use crate::error::TrainError;
use crate::objective::Objective;
use crate::optimizer::{StepInfo, perturbation_step_with};

/// A thread pool and per-probe clones of an objective, reused across steps.
pub struct ProbePool<O> {
    pool: rayon::ThreadPool,
    threads: usize,
    /// One objective per evaluation of a step (grown on first use).
    scratch: Vec<O>,
    /// The drifting base `w_k` of step 1.
    base: Vec<f64>,
    /// Loss of each evaluation, in the order the step asks for them.
    losses: Vec<f64>,
    /// `(probe, side)` of each evaluation, in order.
    order: Vec<(usize, Side)>,
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
            losses: Vec::new(),
            order: Vec::new(),
        })
    }

    /// Threads of the pool.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// One whole step of `opt` on `objective`, probes in parallel. Falls back
    /// to the sequential protocol when `opt` is in the middle of a step.
    pub fn step<R: UpdateRule<f64>>(
        &mut self,
        opt: &mut PerturbationOptimizer<f64, R>,
        objective: &mut O,
    ) -> Result<StepInfo, TrainError> {
        if opt.ask(objective.params_mut())? != Query::Baseline {
            return perturbation_step_with(opt, objective, |_, o| o.loss());
        }
        let config = *opt.config();
        let noise = dopamine_core::StepNoise {
            seed: config.seed,
            step: opt.step_index(),
            kind: config.noise,
        };
        self.order.clear();
        for probe in 0..config.probes {
            self.order.push((probe, Side::Plus));
            if config.rpe == RpeMode::Antithetic {
                self.order.push((probe, Side::Minus));
            }
        }
        while self.scratch.len() < self.order.len() {
            self.scratch.push(objective.clone());
        }
        // The base `w_0`, copied so that the baseline can be evaluated on the
        // objective itself while the probe points are built from the copy.
        self.base.clear();
        self.base.extend_from_slice(objective.params());
        let evaluations = self.order.len();
        let order = &self.order;
        let scratch = &mut self.scratch[..evaluations];
        let base = &mut self.base;
        let losses = &mut self.losses;
        // Steps 1 and 2 overlap: one thread evaluates the baseline while
        // another builds the probe points; then every probe is evaluated.
        let baseline = self.pool.install(|| {
            let (baseline, ()) = rayon::join(
                || objective.loss(),
                || {
                    build_probe_points(order, scratch, base, &noise, config.sigma);
                    scratch
                        .par_iter_mut()
                        .with_max_len(1)
                        .map(|o| o.loss())
                        .collect_into_vec(losses);
                },
            );
            baseline
        });
        // Step 3: replay through ask/tell with the known losses.
        let per_probe = if config.rpe == RpeMode::Antithetic {
            2
        } else {
            1
        };
        let losses = &self.losses;
        perturbation_step_with(opt, objective, |query, _| match query {
            Query::Baseline => baseline,
            Query::Probe { probe, side } => {
                losses[probe * per_probe + usize::from(side == Side::Minus)]
            }
        })
    }
}

/// Step 1: writes into `targets[e]` the point of evaluation `e` of `order`
/// and leaves in `base` the parameters after every probe's in-place
/// perturb and restore. `base` starts as the step's parameters `w_0`.
fn build_probe_points<O: Objective>(
    order: &[(usize, Side)],
    targets: &mut [O],
    base: &mut [f64],
    noise: &dopamine_core::StepNoise,
    sigma: f64,
) {
    for (&(probe, side), target) in order.iter().zip(targets) {
        let sigma = match side {
            Side::Plus => sigma,
            Side::Minus => -sigma,
        };
        let point = target.params_mut();
        // The kernel's own operations: perturb is `w += sigma * z`, restore `w -= sigma * z`.
        noise
            .stream(probe)
            .for_each_block(0, base.len(), |offset, block| {
                let end = offset + block.len();
                for ((b, p), z) in base[offset..end]
                    .iter_mut()
                    .zip(&mut point[offset..end])
                    .zip(block)
                {
                    let s = sigma * *z;
                    *p = *b + s;
                    *b = *p - s;
                }
            });
    }
}
