//! The training loop: any [`Optimizer`] on any [`Objective`], with budgets, records, observers and checkpoints ([`Trainer`], [`train`]).

use std::time::Instant;

use crate::checkpoint::Checkpoint;
use crate::error::{CheckpointError, TrainError};
use crate::float::Float;
use crate::objective::Objective;
use crate::observer::{Control, Observer};
use crate::optimizer::{Optimizer, PopulationScratch};
use crate::record::{CheckpointFailure, RunResult, StopReason, TrainSpec, TrainState};
use crate::replicas::{Replicas, SingleProcess};
use crate::store::{self, CheckpointPolicy, OnWriteFailure};

/// Bits of the decisions the replicas of a run agree on ([`Replicas::agree`]).
const OUT_OF_TIME: u64 = 1;
const CHECKPOINT_DUE: u64 = 1 << 1;
const OBSERVER_STOP: u64 = 1 << 2;
const WRITE_FAILED: u64 = 1 << 3;

/// A resumable run: the optimizer, the trainer's state and, optionally, a
/// checkpoint policy.
///
/// ```
/// use dopamine_train::{Budget, Dopamine1Settings, FnObjective, NoObserver, OptimizerSpec, TrainSpec, Trainer};
///
/// let loss = |w: &[f64]| w.iter().map(|x| x * x).sum::<f64>();
/// let spec = OptimizerSpec::Dopamine1(Dopamine1Settings { sigma: 1e-3, eta: 0.05, beta: 0.9, ..Default::default() });
/// let train_spec = TrainSpec { budget: Budget::steps(200), ..Default::default() };
/// let mut objective = FnObjective::new(vec![2.0, -1.0], loss, 0);
/// let mut trainer = Trainer::new(spec.build(2, 7, 200)?, train_spec)?;
/// // Stop after 100 steps, checkpoint (in memory here), resume, finish.
/// trainer.run_until(&mut objective, 100, &mut NoObserver)?;
/// let saved = trainer.checkpoint(&objective)?;
/// let mut resumed = Trainer::resume(saved, spec.build(2, 7, 200)?, &mut objective)?;
/// let run = resumed.run(&mut objective, &mut NoObserver)?;
/// assert_eq!(run.last.step, 200);
/// # Ok::<(), dopamine_train::TrainError>(())
/// ```
pub struct Trainer<T> {
    optimizer: Box<dyn Optimizer<T>>,
    state: TrainState,
    checkpoints: Option<CheckpointPolicy>,
    scratch: PopulationScratch<T>,
    failures: Vec<CheckpointFailure>,
}

impl<T: Float> std::fmt::Debug for Trainer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("optimizer", &self.optimizer.name())
            .field("state", &self.state)
            .field("checkpoints", &self.checkpoints)
            .field("failures", &self.failures)
            .finish()
    }
}

impl<T: Float> Trainer<T> {
    /// A new run of `optimizer` driven by `spec` (validated).
    pub fn new(optimizer: Box<dyn Optimizer<T>>, spec: TrainSpec) -> Result<Self, TrainError> {
        spec.validate()?;
        Ok(Self {
            optimizer,
            state: TrainState::new(spec),
            checkpoints: None,
            scratch: PopulationScratch::new(),
            failures: Vec::new(),
        })
    }

    /// Writes a checkpoint every `policy.every_steps` steps, and every
    /// `policy.every_seconds` seconds if set (validated). A checkpoint that
    /// cannot be written is reported to the observer and kept in
    /// [`RunResult::checkpoint_failures`]; the run goes on or stops with the
    /// error as `policy.on_write_failure` says.
    pub fn with_checkpoints(mut self, policy: CheckpointPolicy) -> Result<Self, TrainError> {
        policy.validate()?;
        self.checkpoints = Some(policy);
        Ok(self)
    }

    /// Continues the run saved in `checkpoint` with `optimizer`, a fresh
    /// optimizer of the same kind and size whose state is replaced by the
    /// saved one; the saved parameters are copied into `objective`, which
    /// must have as many. Add a checkpoint policy again with
    /// [`Trainer::with_checkpoints`] if the resumed run should write more.
    ///
    /// Errors: an invalid checkpoint, one written by another optimizer
    /// ([`CheckpointError::OptimizerMismatch`]), or one for another number
    /// of parameters ([`CheckpointError::Invalid`]).
    pub fn resume<O: Objective<T> + ?Sized>(
        checkpoint: Checkpoint<T>,
        mut optimizer: Box<dyn Optimizer<T>>,
        objective: &mut O,
    ) -> Result<Self, TrainError> {
        checkpoint.validate()?;
        checkpoint.state.spec.validate()?;
        if checkpoint.optimizer != optimizer.name() {
            return Err(CheckpointError::OptimizerMismatch {
                found: checkpoint.optimizer,
                expected: optimizer.name().to_string(),
            }
            .into());
        }
        let dim = objective.params().len();
        if checkpoint.params.len() != dim || optimizer.dim() != dim {
            return Err(CheckpointError::Invalid(format!(
                "the checkpoint holds {} parameters, the model has {dim} and the optimizer {}",
                checkpoint.params.len(),
                optimizer.dim()
            ))
            .into());
        }
        optimizer.load_state(&checkpoint.optimizer_state)?;
        objective.params_mut().copy_from_slice(&checkpoint.params);
        Ok(Self {
            optimizer,
            state: checkpoint.state,
            checkpoints: None,
            scratch: PopulationScratch::new(),
            failures: Vec::new(),
        })
    }

    /// The whole state of the run with `objective`'s parameters. Refuses
    /// non-finite parameters.
    pub fn checkpoint<O: Objective<T> + ?Sized>(
        &self,
        objective: &O,
    ) -> Result<Checkpoint<T>, CheckpointError> {
        capture(self.optimizer.as_ref(), &self.state, objective.params())
    }

    /// The optimizer.
    pub fn optimizer(&self) -> &dyn Optimizer<T> {
        self.optimizer.as_ref()
    }

    /// The trainer's state: records, counters, elapsed time.
    pub fn state(&self) -> &TrainState {
        &self.state
    }

    /// The checkpoints this trainer could not write so far, oldest first.
    pub fn checkpoint_failures(&self) -> &[CheckpointFailure] {
        &self.failures
    }

    /// Trains until the budget, the target or the observer stops the run
    /// (at once if it already stopped). Writes checkpoints if a policy is
    /// set. Errors as [`train`]; after [`TrainError::Diverged`] the last
    /// checkpoint written is the last good state.
    pub fn run<O: Objective<T>>(
        &mut self,
        objective: &mut O,
        observer: &mut dyn Observer<O>,
    ) -> Result<RunResult, TrainError> {
        self.drive(objective, None, observer, &mut SingleProcess)
    }

    /// As [`Trainer::run`], with the run spread over `replicas`: each of
    /// them runs this on its own trainer (same settings, optimizer and
    /// parameters). Steps go through [`Replicas::step`], only the replica
    /// that [writes checkpoints](Replicas::writes_checkpoints) writes them,
    /// and the decisions that depend on a clock (a time budget,
    /// [`CheckpointPolicy::every_seconds`]), on the observer or on a failed
    /// write under [`OnWriteFailure::Stop`] are the writer's, so every
    /// replica records, checkpoints and stops at the same steps. The state
    /// is that of a run in one process, bit for bit, except wall time.
    ///
    /// Errors as [`Trainer::run`]; a replica that does not write stops with
    /// [`CheckpointError::WriterFailed`] when the writer's checkpoint failed
    /// under [`OnWriteFailure::Stop`].
    pub fn run_with<O: Objective<T>>(
        &mut self,
        objective: &mut O,
        observer: &mut dyn Observer<O>,
        replicas: &mut dyn Replicas<T>,
    ) -> Result<RunResult, TrainError> {
        self.drive(objective, None, observer, replicas)
    }

    /// As [`Trainer::run`], but also pauses (returns `None`) once `steps`
    /// steps in total are done; `Some` when the run stopped for good.
    pub fn run_until<O: Objective<T>>(
        &mut self,
        objective: &mut O,
        steps: u64,
        observer: &mut dyn Observer<O>,
    ) -> Result<Option<RunResult>, TrainError> {
        if self.state.stop.is_none() && self.state.current.step >= steps {
            return Ok(None);
        }
        let result = self.drive(objective, Some(steps), observer, &mut SingleProcess)?;
        Ok(self.state.stop.map(|_| result))
    }

    fn drive<O: Objective<T>>(
        &mut self,
        objective: &mut O,
        pause_at: Option<u64>,
        observer: &mut dyn Observer<O>,
        replicas: &mut dyn Replicas<T>,
    ) -> Result<RunResult, TrainError> {
        let mut run = Run {
            optimizer: self.optimizer.as_mut(),
            state: &mut self.state,
            checkpoints: self.checkpoints.as_ref(),
            scratch: &mut self.scratch,
            replicas,
            failures: &mut self.failures,
        };
        let mut result = run.run_loop(objective, pause_at, observer)?;
        result.checkpoint_failures.clone_from(&self.failures);
        Ok(result)
    }
}

fn capture<T: Float>(
    optimizer: &dyn Optimizer<T>,
    state: &TrainState,
    params: &[T],
) -> Result<Checkpoint<T>, CheckpointError> {
    let checkpoint = Checkpoint {
        scalar: T::type_name().to_string(),
        params: params.to_vec(),
        optimizer: optimizer.name().to_string(),
        optimizer_state: optimizer.save_state()?,
        state: state.clone(),
    };
    checkpoint.validate()?;
    Ok(checkpoint)
}

/// Trains `objective` with `optimizer` until the budget, the target or the
/// observer stops it.
///
/// Errors: an invalid spec, an optimizer error, or more than
/// `max_consecutive_rejections` rejected steps in a row
/// ([`TrainError::Diverged`]); the objective's parameters are then the last
/// ones that gave a finite loss. For checkpoints and resuming, use [`Trainer`].
pub fn train<T: Float, O: Objective<T>>(
    objective: &mut O,
    optimizer: &mut dyn Optimizer<T>,
    spec: &TrainSpec,
    observer: &mut dyn Observer<O>,
) -> Result<RunResult, TrainError> {
    spec.validate()?;
    let mut state = TrainState::new(*spec);
    let mut scratch = PopulationScratch::new();
    let mut failures = Vec::new();
    let mut run = Run {
        optimizer,
        state: &mut state,
        checkpoints: None,
        scratch: &mut scratch,
        replicas: &mut SingleProcess,
        failures: &mut failures,
    };
    run.run_loop(objective, None, observer)
}

/// One session of a run: what the loop borrows.
struct Run<'a, T> {
    optimizer: &'a mut dyn Optimizer<T>,
    state: &'a mut TrainState,
    checkpoints: Option<&'a CheckpointPolicy>,
    scratch: &'a mut PopulationScratch<T>,
    replicas: &'a mut dyn Replicas<T>,
    failures: &'a mut Vec<CheckpointFailure>,
}

impl<T: Float> Run<'_, T> {
    /// The loop behind [`train`] and [`Trainer`]: continues from the state.
    /// With `pause_at`, it also returns once that many steps are done (the
    /// run then has no stop reason yet; the result is what was recorded so far).
    fn run_loop<O: Objective<T>>(
        &mut self,
        objective: &mut O,
        pause_at: Option<u64>,
        observer: &mut dyn Observer<O>,
    ) -> Result<RunResult, TrainError> {
        let state = &mut *self.state;
        let spec = state.spec;
        spec.validate()?;
        if let Some(stop) = state.stop {
            return Ok(state.result(stop));
        }
        let b = spec.budget;
        let cost = objective.cost();
        let start = Instant::now();
        let before = state.elapsed_seconds;
        // Decisions on a clock must be agreed by the replicas; whether there
        // are any is the same on every replica (the same settings).
        let clocked =
            b.seconds.is_some() || self.checkpoints.is_some_and(|p| p.every_seconds.is_some());
        let mut last_checkpoint = start;
        self.optimizer.prepare(objective)?;
        loop {
            if pause_at.is_some_and(|p| state.current.step >= p) {
                return Ok(state.result(StopReason::Steps));
            }
            let info = self
                .replicas
                .step(&mut *self.optimizer, objective, self.scratch)?;
            let rec = &mut state.current;
            rec.step += 1;
            rec.forward_passes += info.forward_passes;
            rec.backward_passes += info.backward_passes;
            rec.flops += info.forward_passes * cost.forward_flops
                + info.backward_passes * cost.backward_flops
                + info.extra_flops;
            if info.rejected {
                rec.rejected_steps += 1;
                state.consecutive_rejections += 1;
                if state.consecutive_rejections > spec.max_consecutive_rejections {
                    return Err(TrainError::Diverged {
                        rejections: state.consecutive_rejections,
                    });
                }
            } else {
                state.consecutive_rejections = 0;
                rec.loss = info.loss;
                rec.effective_eta = info.effective_eta;
                // A record keeps 0 where the method reports no RPE.
                rec.last_delta = info.rpe.map_or(0.0, |r| r.last_delta);
                rec.expected_rpe = info.coding.map_or(0.0, |c| c.expected_rpe);
                rec.surprise_size = info.coding.map_or(0.0, |c| c.surprise_size);
            }
            let elapsed = before + start.elapsed().as_secs_f64();
            state.elapsed_seconds = elapsed;
            let mut clock = 0;
            if b.seconds.is_some_and(|s| elapsed >= s) {
                clock |= OUT_OF_TIME;
            }
            if let Some(every) = self.checkpoints.and_then(|p| p.every_seconds) {
                if last_checkpoint.elapsed().as_secs_f64() >= every {
                    clock |= CHECKPOINT_DUE;
                }
            }
            if clocked {
                clock = self.replicas.agree(clock);
            }
            let out_of_time = clock & OUT_OF_TIME != 0;
            let rec = &mut state.current;
            let out_of_steps = b.steps.is_some_and(|s| rec.step >= s);
            let out_of_passes = b
                .forward_equivalents
                .is_some_and(|f| rec.forward_passes + rec.backward_passes >= f);
            let reached = spec.target_loss.is_some_and(|t| rec.loss <= t);
            let finishing = out_of_steps || out_of_passes || out_of_time || reached;
            let mut stop = None;
            if rec.step % spec.record_every == 0 || finishing {
                rec.seconds = elapsed;
                let rec = *rec;
                state.records.push(rec);
                let mut said = 0;
                if observer.observe(&rec, objective) == Control::Stop {
                    said = OBSERVER_STOP;
                }
                if self.replicas.agree(said) & OBSERVER_STOP != 0 {
                    stop = Some(StopReason::Observer);
                }
            }
            stop = stop.or(if reached {
                Some(StopReason::TargetReached)
            } else if out_of_steps {
                Some(StopReason::Steps)
            } else if out_of_passes {
                Some(StopReason::ForwardEquivalents)
            } else if out_of_time {
                Some(StopReason::Seconds)
            } else {
                None
            });
            state.stop = stop;
            if let Some(policy) = self.checkpoints {
                if state.current.step % policy.every_steps == 0 || clock & CHECKPOINT_DUE != 0 {
                    last_checkpoint = Instant::now();
                    write_checkpoint(
                        policy,
                        &*self.optimizer,
                        state,
                        objective,
                        &mut *self.replicas,
                        self.failures,
                        observer,
                    )?;
                }
            }
            if let Some(stop) = stop {
                return Ok(state.result(stop));
            }
        }
    }
}

/// Writes the checkpoint of the step just done (on the writing replica) and
/// handles a failure as `policy` says: reported to the observer and kept in
/// `failures` on the writer; under [`OnWriteFailure::Stop`] every replica
/// stops, the writer with its error, the others with
/// [`CheckpointError::WriterFailed`].
fn write_checkpoint<T: Float, O: Objective<T>>(
    policy: &CheckpointPolicy,
    optimizer: &dyn Optimizer<T>,
    state: &TrainState,
    objective: &mut O,
    replicas: &mut dyn Replicas<T>,
    failures: &mut Vec<CheckpointFailure>,
    observer: &mut dyn Observer<O>,
) -> Result<(), TrainError> {
    let step = state.current.step;
    let failure = if replicas.writes_checkpoints() {
        capture(optimizer, state, objective.params())
            .and_then(|checkpoint| store::save(policy, &checkpoint))
            .err()
    } else {
        None
    };
    let stop = policy.on_write_failure == OnWriteFailure::Stop;
    let failed_at_writer = if stop {
        let mine = if failure.is_some() { WRITE_FAILED } else { 0 };
        replicas.agree(mine) & WRITE_FAILED != 0
    } else {
        failure.is_some()
    };
    match failure {
        Some(error) => {
            let path = match &error {
                CheckpointError::Io { path, .. } => path.clone(),
                _ => policy.dir.join(store::file_name(step)),
            };
            let report = CheckpointFailure {
                step,
                path,
                error: error.to_string(),
            };
            observer.checkpoint_failed(&report);
            failures.push(report);
            if stop {
                return Err(error.into());
            }
        }
        None if stop && failed_at_writer => {
            return Err(CheckpointError::WriterFailed { step }.into());
        }
        None => {}
    }
    Ok(())
}
