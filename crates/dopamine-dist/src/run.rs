//! [`DistributedRun`]: a `dopamine-train` [`Trainer`](dopamine_train::Trainer) spread over the ranks of a [`Communicator`], and [`load_latest_shared`], the resume of such a run from rank 0's checkpoint folder.
//!
//! Every rank runs the same trainer with the same settings; the ranks share
//! each step's evaluations ([`Exchange`](crate::step)), rank 0 writes the
//! checkpoints and decides what depends on its clock or its observer. A
//! checkpoint holds the whole run (parameters, optimizer, trainer counters,
//! records) in `dopamine-train`'s format, the same state a run in one
//! process has, so it resumes on any number of ranks, or in one process
//! with [`dopamine_train::SingleProcess`], bit for bit.

use std::io;
use std::path::Path;
use std::time::Instant;

use dopamine_train::store::{file_name, list_checkpoints};
use dopamine_train::{
    Checkpoint, CheckpointError, Float, LoadedCheckpoint, Objective, Optimizer, PopulationScratch,
    Replicas, SpecError, StepInfo, TrainError, load_latest,
};

use crate::comm::Communicator;
use crate::step::{CommStats, Exchange};

/// The ranks of `comm` as the [`Replicas`] of one training run.
///
/// Pass it to [`Trainer::run_with`](dopamine_train::Trainer::run_with) on
/// every rank. A step is the optimizer's population step
/// ([`Optimizer::population`]: WP, Dopamine-1/2 and OpenES have one) with
/// its points shared among the ranks as [`crate::DistributedStepper`]
/// shares them: rank `e % size` evaluates point `e`, one all-reduce of the
/// losses, every rank finishes the step with the same losses. Rank 0 writes
/// the checkpoints, and its decisions stand for every rank.
///
/// ```
/// use dopamine_core::{Dopamine1, Dopamine1Rule, PerturbConfig};
/// use dopamine_dist::{DistributedRun, ThreadCommunicator, param_hash};
/// use dopamine_train::{Budget, FnObjective, NoObserver, Objective, TrainSpec, Trainer};
///
/// let loss = |w: &[f64]| w.iter().map(|x| (x - 1.0) * (x - 1.0)).sum::<f64>();
/// let config = PerturbConfig { sigma: 1e-3, eta: 0.05, probes: 4, seed: 7, ..Default::default() };
/// let spec = TrainSpec { budget: Budget::steps(50), ..Default::default() };
/// let train = |comm: Option<&ThreadCommunicator>| {
///     let mut objective = FnObjective::new(vec![0.0f64; 20], loss, 0);
///     let optimizer = Dopamine1::new(config, Dopamine1Rule::default(), 20).unwrap();
///     let mut trainer = Trainer::new(Box::new(optimizer), spec).unwrap();
///     match comm {
///         Some(comm) => {
///             let mut ranks = DistributedRun::new(comm, 20);
///             trainer.run_with(&mut objective, &mut NoObserver, &mut ranks).unwrap()
///         }
///         None => trainer.run(&mut objective, &mut NoObserver).unwrap(),
///     };
///     param_hash(objective.params())
/// };
/// let single = train(None);
/// std::thread::scope(|s| {
///     for comm in ThreadCommunicator::group(3) {
///         s.spawn(move || assert_eq!(train(Some(&comm)), single));
///     }
/// });
/// ```
#[derive(Debug)]
pub struct DistributedRun<'c, C: ?Sized, T> {
    comm: &'c C,
    exchange: Exchange<T>,
    at: Vec<T>,
}

impl<'c, C: Communicator + ?Sized, T: Float> DistributedRun<'c, C, T> {
    /// The ranks of `comm` training `dim` parameters; allocates its scratch
    /// buffers once.
    pub fn new(comm: &'c C, dim: usize) -> Self {
        Self {
            comm,
            exchange: Exchange::new(dim),
            at: vec![T::ZERO; dim],
        }
    }

    /// The communication counters of this rank.
    pub fn stats(&self) -> &CommStats {
        &self.exchange.stats
    }

    /// The communicator.
    pub fn comm(&self) -> &'c C {
        self.comm
    }
}

impl<C: Communicator + ?Sized, T: Float> Replicas<T> for DistributedRun<'_, C, T> {
    /// Errors: an optimizer without a population step
    /// ([`TrainError::Spec`] naming `optimizer`), a model of another size
    /// than the run's, and the optimizer's own errors.
    fn step(
        &mut self,
        optimizer: &mut dyn Optimizer<T>,
        objective: &mut dyn Objective<T>,
        _scratch: &mut PopulationScratch<T>,
    ) -> Result<StepInfo, TrainError> {
        let started = Instant::now();
        let name = optimizer.name().to_string();
        let Some(population) = optimizer.population() else {
            return Err(SpecError::new(
                "optimizer",
                format!(
                    "{name} has no population step; a distributed run needs one \
                     (WP, Dopamine-1, Dopamine-2, OpenES, SNES)"
                ),
            )
            .into());
        };
        if objective.params().len() != self.at.len() {
            return Err(dopamine_core::Error::LengthMismatch {
                expected: self.at.len(),
                got: objective.params().len(),
            }
            .into());
        }
        self.at.copy_from_slice(objective.params());
        {
            let plan = population.plan(&self.at)?;
            self.exchange.evaluate_shared(
                &plan,
                &self.at,
                |point| objective.loss_at(point),
                self.comm,
                started,
            )?;
        }
        let replay = Instant::now();
        let outcome = population.tell_all(objective.params_mut(), &self.exchange.told)?;
        self.exchange.stats.replay_time += replay.elapsed();
        Ok(StepInfo::from_outcome(&outcome, &self.exchange.told))
    }

    fn writes_checkpoints(&self) -> bool {
        self.comm.rank() == 0
    }

    fn agree(&mut self, flags: u64) -> u64 {
        self.comm.broadcast_u64(flags)
    }
}

/// What rank 0 found in the checkpoint folder, as broadcast.
const NONE_FOUND: u64 = 0;
const FOUND: u64 = 1;
const FAILED: u64 = 2;

/// The newest valid checkpoint in `dir` as rank 0 sees it, on every rank: a
/// collective call. Only rank 0 reads the folder (the other ranks need not
/// see it: a node-local disk is fine); it sends the checkpoint's bytes,
/// which every rank checks again (magic, version, checksum, finite
/// parameters) as it decodes them.
///
/// `Ok(None)` on every rank when the folder does not exist or holds no
/// checkpoint file: a run started with "resume if you can" starts afresh.
/// Rank 0's [`LoadedCheckpoint::skipped`] lists the newer files it passed
/// over (damaged ones); the other ranks' is empty.
///
/// Errors, on every rank: the folder cannot be read, or it holds checkpoint
/// files of which none is valid ([`CheckpointError::NoValidCheckpoint`] on
/// rank 0; on the others [`CheckpointError::Io`] naming `dir` with rank 0's
/// message). A folder of damaged checkpoints is not taken for an empty one.
pub fn load_latest_shared<T: Float, C: Communicator + ?Sized>(
    dir: &Path,
    comm: &C,
) -> Result<Option<LoadedCheckpoint<T>>, TrainError> {
    if comm.rank() == 0 {
        let found = newest_valid::<T>(dir).and_then(|found| match found {
            Some(loaded) => {
                let bytes = loaded.checkpoint.to_bytes()?;
                Ok(Some((loaded, bytes)))
            }
            None => Ok(None),
        });
        let (status, mut bytes) = match &found {
            Ok(None) => (NONE_FOUND, Vec::new()),
            Ok(Some((_, bytes))) => (FOUND, bytes.clone()),
            Err(e) => (FAILED, e.to_string().into_bytes()),
        };
        comm.broadcast_u64(status);
        comm.broadcast_bytes(&mut bytes);
        return Ok(found?.map(|(loaded, _)| loaded));
    }
    let status = comm.broadcast_u64(0);
    let mut bytes = Vec::new();
    comm.broadcast_bytes(&mut bytes);
    match status {
        FOUND => {
            let checkpoint = Checkpoint::<T>::from_bytes(&bytes)?;
            let path = dir.join(file_name(checkpoint.step()));
            Ok(Some(LoadedCheckpoint {
                checkpoint,
                path,
                skipped: Vec::new(),
            }))
        }
        FAILED => Err(CheckpointError::Io {
            path: dir.to_path_buf(),
            source: io::Error::other(format!(
                "rank 0 could not load a checkpoint: {}",
                String::from_utf8_lossy(&bytes)
            )),
        }
        .into()),
        _ => Ok(None),
    }
}

/// Rank 0's look at the folder: `None` when it is missing or holds no
/// checkpoint file, the newest valid checkpoint otherwise.
fn newest_valid<T: Float>(dir: &Path) -> Result<Option<LoadedCheckpoint<T>>, CheckpointError> {
    match list_checkpoints(dir) {
        Err(CheckpointError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(e) => Err(e),
        Ok(files) if files.is_empty() => Ok(None),
        Ok(_) => load_latest::<T>(dir).map(Some),
    }
}
