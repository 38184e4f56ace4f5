//! [`DistributedStepper`]: one optimizer step with the probes shared among
//! the ranks and only the loss values exchanged.

use std::time::{Duration, Instant};

use dopamine_core::perturb::{perturb, restore};
use dopamine_core::{
    PerturbationOptimizer, Query, Real, RpeMode, Side, StepNoise, StepOutcome, Told, UpdateRule,
};

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
    /// (`1 + K` forward, `1 + 2K` antithetic), whatever the model size.
    pub bytes_reduced: u64,
    /// Loss evaluations this rank ran itself (baselines and its probes).
    pub local_evaluations: u64,
    /// Time in this rank's share of the evaluations (the walk of the scratch
    /// copy included).
    pub evaluation_time: Duration,
    /// Time in the all-reduce, waiting for the slowest rank included.
    pub communication_time: Duration,
    /// Time replaying the step through `ask`/`tell` (perturb, restore and
    /// update, O(K P), the same on every rank: the serial part).
    pub replay_time: Duration,
}

/// Runs optimizer steps whose probe evaluations are shared among the ranks
/// of a [`Communicator`].
///
/// Every rank holds the same parameters and an identical
/// [`PerturbationOptimizer`] (same settings, same seed). One step:
///
/// 1. A step has `E = 1 + K` evaluations (`1 + 2K` antithetic): evaluation
///    0 is the baseline `L0`, evaluation `e >= 1` is probe `(e - 1) / s`,
///    side `(e - 1) % s` (`s` = 1 or 2 sides). Rank `e % size` owns evaluation
///    `e`, so up to `size = E` every added rank takes work off the others.
/// 2. Each rank walks a scratch copy of the parameters through the
///    perturb/restore sequence the optimizer itself would make, and evaluates
///    the loss at the points it owns. The walk reproduces the optimizer's
///    rounding exactly (a restore is not always bit-exact, so perturbing a
///    fresh copy would not do), and each loss is bit-identical to the one a
///    single process computes.
/// 3. One all-reduce (sum) of the `E` losses: each rank contributes its own
///    and `-0.0` elsewhere, and `x + (-0.0) == x` for every `x` (signed zeros
///    and NaN included), so every rank receives the exact values. That is
///    `8 E` bytes per rank, independent of the number of parameters.
/// 4. Every rank tells its optimizer `L0` and replays the probes through
///    `ask`/`tell` with the known losses (perturb and restore, no
///    evaluations), so every rank applies exactly the update a single process
///    would, safety net included. A non-finite `L0` rejects the step there,
///    as in one process; its probe evaluations were then wasted.
///
/// The result is bit-identical to [`PerturbationOptimizer::step`] in one
/// process with the same K, for any number of ranks.
#[derive(Debug, Clone)]
pub struct DistributedStepper<T> {
    scratch: Vec<T>,
    losses: Vec<f64>,
    stats: CommStats,
}

impl<T: Real> DistributedStepper<T> {
    /// A stepper for `dim` parameters; allocates its scratch buffers once.
    pub fn new(dim: usize) -> Self {
        Self {
            scratch: vec![T::ZERO; dim],
            losses: Vec::with_capacity(1 + 2 * dopamine_core::MAX_PROBES),
            stats: CommStats::default(),
        }
    }

    /// The communication counters.
    pub fn stats(&self) -> &CommStats {
        &self.stats
    }

    /// One distributed step; every rank must call it with the same optimizer
    /// state and parameters. Returns what [`PerturbationOptimizer::step`]
    /// would return.
    ///
    /// The optimizer must be at a step boundary: driven only by this method or
    /// by whole [`PerturbationOptimizer::step`]s. Otherwise the step fails
    /// with [`DistError::NotAtStepStart`] after its `ask` for the pending probe,
    /// which leaves the parameters perturbed as any `ask` does.
    ///
    /// The optimizer's `forward_passes` counter counts the step's evaluations
    /// as a single process would; [`CommStats::local_evaluations`] counts the
    /// ones this rank ran.
    pub fn step<R, C, F>(
        &mut self,
        opt: &mut PerturbationOptimizer<T, R>,
        params: &mut [T],
        mut loss: F,
        comm: &C,
    ) -> Result<StepOutcome<T>, DistError>
    where
        R: UpdateRule<T>,
        C: Communicator + ?Sized,
        F: FnMut(&[T]) -> T,
    {
        if params.len() != self.scratch.len() {
            return Err(DistError::LengthMismatch {
                expected: self.scratch.len(),
                got: params.len(),
            });
        }
        // 1. The step's evaluations: `e = 0` is the baseline `L0`, `e >= 1`
        //    probe `(e - 1) / sides`, side `(e - 1) % sides`. Rank `e % size`
        //    owns evaluation `e`.
        if opt.ask(params)? != Query::Baseline {
            return Err(DistError::NotAtStepStart);
        }
        let started = Instant::now();
        let config = *opt.config();
        let sides: &[Side] = match config.rpe {
            RpeMode::Forward => &[Side::Plus],
            RpeMode::Antithetic => &[Side::Plus, Side::Minus],
        };
        let evaluations = 1 + config.probes * sides.len();
        let (rank, size) = (comm.rank(), comm.size());
        let noise = StepNoise {
            seed: config.seed,
            step: opt.step_index(),
            kind: config.noise,
        };
        self.losses.clear();
        self.losses.resize(evaluations, -0.0);
        if rank == 0 {
            self.losses[0] = loss(params).to_f64();
            self.stats.local_evaluations += 1;
        }
        // 2. This rank's probes, on a scratch copy walked through every
        //    perturb/restore up to its last one, as the optimizer would.
        // The last evaluation this rank owns (none when `rank >= E`).
        let last = (rank < evaluations).then(|| rank + (evaluations - 1 - rank) / size * size);
        if let Some(last) = last.filter(|&l| l >= 1) {
            self.scratch.copy_from_slice(params);
            for e in 1..=last {
                let stream = noise.stream((e - 1) / sides.len());
                let sigma = match sides[(e - 1) % sides.len()] {
                    Side::Plus => config.sigma,
                    Side::Minus => -config.sigma,
                };
                perturb(&mut self.scratch, &stream, sigma);
                if e % size == rank {
                    self.losses[e] = loss(&self.scratch).to_f64();
                    self.stats.local_evaluations += 1;
                }
                restore(&mut self.scratch, &stream, sigma);
            }
        }

        // 3. Exchange the losses: 1 + K (or 1 + 2K) scalars.
        let evaluated = Instant::now();
        self.stats.evaluation_time += evaluated - started;
        comm.all_reduce_sum(&mut self.losses);
        let reduced = Instant::now();
        self.stats.communication_time += reduced - evaluated;
        self.stats.all_reduces += 1;
        self.stats.bytes_reduced += 8 * evaluations as u64;
        self.stats.steps += 1;

        // 4. Replay the step with the known losses.
        let outcome = match opt.tell(params, T::from_f64(self.losses[0]))? {
            Told::Baseline { .. } => self.replay(opt, params, sides.len()),
            // A non-finite baseline: the same on every rank; the probes were
            // wasted, the optimizer rejected the step as a single process would.
            Told::Rejected(why) => Ok(StepOutcome::Rejected(why)),
            Told::Probed | Told::Updated(_) => Err(DistError::NotAtStepStart),
        };
        self.stats.replay_time += reduced.elapsed();
        outcome
    }

    fn replay<R: UpdateRule<T>>(
        &self,
        opt: &mut PerturbationOptimizer<T, R>,
        params: &mut [T],
        sides: usize,
    ) -> Result<StepOutcome<T>, DistError> {
        loop {
            let index = match opt.ask(params)? {
                Query::Probe { probe, side } => {
                    1 + probe * sides + usize::from(side == Side::Minus)
                }
                Query::Baseline => return Err(DistError::NotAtStepStart),
            };
            match opt.tell(params, T::from_f64(self.losses[index]))? {
                Told::Probed => {}
                Told::Updated(report) => return Ok(StepOutcome::Updated(report)),
                Told::Rejected(why) => return Ok(StepOutcome::Rejected(why)),
                Told::Baseline { .. } => return Err(DistError::NotAtStepStart),
            }
        }
    }
}

/// FNV-1a (64-bit) over the bits of the parameters (each widened to `f64`,
/// which is exact): equal parameters give equal hashes on every machine.
pub fn param_hash<T: Real>(params: &[T]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    for w in params {
        for byte in w.to_f64().to_bits().to_le_bytes() {
            h ^= u64::from(byte);
            h = h.wrapping_mul(PRIME);
        }
    }
    h
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
