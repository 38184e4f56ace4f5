//! [`DistributedStepper`]: one optimizer step with the probes shared among
//! the ranks and only the loss values exchanged.

use std::time::{Duration, Instant};

use dopamine_core::{Error, PerturbationOptimizer, Population, Real, StepOutcome, UpdateRule};

use crate::comm::Communicator;
use crate::error::DistError;

/// Communication, work and time so far of a [`DistributedStepper`] on this rank.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommStats {
    /// Steps run (kept or rejected).
    pub steps: u64,
    /// All-reduce calls made (one per step).
    pub all_reduces: u64,
    /// Bytes this rank handed to the all-reduces: 8 per evaluation of a step
    /// (`1 + K` forward, `1 + 2K` antithetic, `2K` antithetic without a
    /// baseline), whatever the model size.
    pub bytes_reduced: u64,
    /// Loss evaluations this rank ran itself (baselines and its probes).
    pub local_evaluations: u64,
    /// Time in this rank's share of the evaluations (building its points
    /// and walking past the others' included).
    pub evaluation_time: Duration,
    /// Time in the all-reduce, waiting for the slowest rank included.
    pub communication_time: Duration,
    /// Time finishing the step with `tell_all` (the restores' rounding and
    /// the update, O(K P), the same on every rank: the serial part).
    pub replay_time: Duration,
}

/// Runs optimizer steps whose evaluations are shared among the ranks of a
/// [`Communicator`], through the kernel's batch-step API.
///
/// Every rank holds the same parameters and an identical
/// [`PerturbationOptimizer`] (same settings, same seed). One step:
///
/// 1. [`PerturbationOptimizer::plan`] lists the step's `E` evaluation points
///    (baseline, then each probe's sides). Rank `e % size` owns point `e`,
///    so up to `size = E` every added rank takes work off the others.
/// 2. Each rank builds the points it owns with
///    [`dopamine_core::StepPlan::build_point`] on a scratch copy of the
///    parameters and moves the copy past the others'
///    ([`dopamine_core::StepPlan::walk_past`]); the points are bit for bit
///    the ones a single process evaluates, so each loss is too.
/// 3. One all-reduce (sum) of the `E` losses: each rank contributes its own
///    and `-0.0` elsewhere, and `x + (-0.0) == x` for every `x` (signed zeros
///    and NaN included), so every rank receives the exact values. That is
///    `8 E` bytes per rank, independent of the number of parameters.
/// 4. Every rank finishes the step with
///    [`PerturbationOptimizer::tell_all`], which applies exactly the update
///    (or rejection) a single process would, safety net included.
///
/// The result is bit-identical to [`PerturbationOptimizer::step`] in one
/// process with the same settings, for any number of ranks.
#[derive(Debug, Clone)]
pub struct DistributedStepper<T> {
    exchange: Exchange<T>,
}

impl<T: Real> DistributedStepper<T> {
    /// A stepper for `dim` parameters; allocates its scratch buffers once.
    pub fn new(dim: usize) -> Self {
        Self {
            exchange: Exchange::new(dim),
        }
    }

    /// The communication counters.
    pub fn stats(&self) -> &CommStats {
        &self.exchange.stats
    }

    /// One distributed step; every rank must call it with the same optimizer
    /// state and parameters. Returns what [`PerturbationOptimizer::step`]
    /// would return.
    ///
    /// The optimizer must be at a step boundary (driven only by this method,
    /// by whole [`PerturbationOptimizer::step`]s or by batch steps);
    /// otherwise the step fails with [`DistError::NotAtStepStart`] and
    /// nothing changes.
    ///
    /// The optimizer's `forward_passes` counter counts the step's evaluations
    /// as a single process would; [`CommStats::local_evaluations`] counts the
    /// ones this rank ran.
    pub fn step<R, C, F>(
        &mut self,
        opt: &mut PerturbationOptimizer<T, R>,
        params: &mut [T],
        loss: F,
        comm: &C,
    ) -> Result<StepOutcome<T>, DistError>
    where
        R: UpdateRule<T>,
        C: Communicator + ?Sized,
        F: FnMut(&[T]) -> T,
    {
        if params.len() != self.exchange.base.len() {
            return Err(DistError::LengthMismatch {
                expected: self.exchange.base.len(),
                got: params.len(),
            });
        }
        let started = Instant::now();
        let plan = match opt.plan(params) {
            Ok(plan) => plan,
            Err(Error::BatchOutOfOrder) => return Err(DistError::NotAtStepStart),
            Err(e) => return Err(e.into()),
        };
        self.exchange
            .evaluate_shared(&plan, params, loss, comm, started)?;
        let replay = Instant::now();
        let outcome = opt.tell_all(params, &self.exchange.told)?;
        self.exchange.stats.replay_time += replay.elapsed();
        Ok(outcome)
    }
}

/// The shared evaluation of one step's points: the scratch buffers and the
/// counters of a rank. Used by [`DistributedStepper`] and by
/// [`crate::DistributedRun`].
#[derive(Debug, Clone)]
pub(crate) struct Exchange<T> {
    base: Vec<T>,
    point: Vec<T>,
    losses: Vec<f64>,
    /// The step's losses in plan order, after [`Exchange::evaluate_shared`].
    pub(crate) told: Vec<T>,
    pub(crate) stats: CommStats,
}

impl<T: Real> Exchange<T> {
    pub(crate) fn new(dim: usize) -> Self {
        let most = 1 + 2 * dopamine_core::MAX_PROBES;
        Self {
            base: vec![T::ZERO; dim],
            point: vec![T::ZERO; dim],
            losses: Vec::with_capacity(most),
            told: Vec::with_capacity(most),
            stats: CommStats::default(),
        }
    }

    /// Evaluates this rank's share of `plan` (planned at `params`, whose
    /// length is the stepper's), exchanges the losses and leaves all of them
    /// in [`Exchange::told`]; `started` is when the step began (for the
    /// evaluation time).
    pub(crate) fn evaluate_shared<P, C, F>(
        &mut self,
        plan: &P,
        params: &[T],
        mut loss: F,
        comm: &C,
        started: Instant,
    ) -> Result<(), Error>
    where
        P: Population<T> + ?Sized,
        C: Communicator + ?Sized,
        F: FnMut(&[T]) -> T,
    {
        let evaluations = plan.len();
        let (rank, size) = (comm.rank(), comm.size());
        self.losses.clear();
        self.losses.resize(evaluations, -0.0);
        // The last point this rank owns (none when `rank >= E`).
        if rank < evaluations {
            let last = rank + (evaluations - 1 - rank) / size * size;
            self.base.copy_from_slice(params);
            for e in 0..=last {
                if e % size != rank {
                    plan.walk_past(e, &mut self.base)?;
                    continue;
                }
                let value = if plan.is_unperturbed(e) {
                    loss(params)
                } else {
                    plan.build_point(e, &mut self.base, &mut self.point)?;
                    loss(&self.point)
                };
                self.losses[e] = value.to_f64();
                self.stats.local_evaluations += 1;
            }
        }

        // Exchange the losses: one scalar per evaluation point.
        let evaluated = Instant::now();
        self.stats.evaluation_time += evaluated - started;
        comm.all_reduce_sum(&mut self.losses);
        self.stats.communication_time += evaluated.elapsed();
        self.stats.all_reduces += 1;
        self.stats.bytes_reduced += 8 * evaluations as u64;
        self.stats.steps += 1;
        self.told.clear();
        self.told
            .extend(self.losses.iter().map(|l| T::from_f64(*l)));
        Ok(())
    }
}

/// FNV-1a (64-bit, the `fnv` crate) over the bits of the parameters (each
/// widened to `f64`, which is exact): equal parameters give equal hashes on
/// every machine.
pub fn param_hash<T: Real>(params: &[T]) -> u64 {
    use std::hash::Hasher as _;
    let mut hasher = fnv::FnvHasher::default();
    for w in params {
        hasher.write(&w.to_f64().to_bits().to_le_bytes());
    }
    hasher.finish()
}

/// Checks that every rank holds the same parameters by gathering their
/// [`param_hash`]es; returns the common hash.
///
/// Errors: [`DistError::RanksDiverged`] with every rank's hash. All ranks get
/// the same answer.
pub fn verify_identical<T: Real, C: Communicator + ?Sized>(
    params: &[T],
    comm: &C,
) -> Result<u64, DistError> {
    let hash = param_hash(params);
    let mut hashes = vec![0; comm.size()];
    comm.all_gather_u64(hash, &mut hashes);
    if hashes.iter().all(|h| *h == hashes[0]) {
        Ok(hash)
    } else {
        Err(DistError::RanksDiverged { hashes })
    }
}
