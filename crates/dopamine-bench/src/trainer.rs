//! The training loop: any optimizer on any objective, with budgets, records and observers.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::checkpoint::{self, Checkpoint, CheckpointError, CheckpointPolicy};
use crate::error::TrainError;
use crate::objective::Objective;
use crate::optimizer::Optimizer;

/// When a run stops. Every limit that is set applies; at least one must be.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Budget {
    /// Optimizer steps.
    pub steps: Option<u64>,
    /// Forward-pass equivalents: forward passes plus backward passes (a
    /// backward pass counted as one forward pass).
    pub forward_equivalents: Option<u64>,
    /// Wall-clock seconds. A run stopped by time is not reproducible; the
    /// experiments use step budgets.
    pub seconds: Option<f64>,
}

impl Budget {
    /// A budget of `steps` steps.
    pub fn steps(steps: u64) -> Self {
        Self {
            steps: Some(steps),
            ..Default::default()
        }
    }
}

/// How a run is driven.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainSpec {
    /// When to stop.
    pub budget: Budget,
    /// Record (and call the observer) every this many steps (`>= 1`).
    pub record_every: u64,
    /// Stop as soon as a recorded loss is at or below this.
    pub target_loss: Option<f64>,
    /// Give up after this many consecutive rejected steps.
    pub max_consecutive_rejections: u64,
}

impl Default for TrainSpec {
    fn default() -> Self {
        Self {
            budget: Budget::steps(1000),
            record_every: 1,
            target_loss: None,
            max_consecutive_rejections: 50,
        }
    }
}

/// One point of a training curve.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Record {
    /// Steps completed when recorded.
    pub step: u64,
    /// Loss at the start of the last step.
    pub loss: f64,
    /// Effective learning rate of the last step.
    pub effective_eta: f64,
    /// RPE of the last probe of the last step.
    pub last_delta: f64,
    /// Expected RPE.
    pub expected_rpe: f64,
    /// Size of the surprise.
    pub surprise_size: f64,
    /// Steps rejected so far.
    pub rejected_steps: u64,
    /// Forward passes so far.
    pub forward_passes: u64,
    /// Backward passes so far.
    pub backward_passes: u64,
    /// FLOPs so far, from the model's accounting.
    pub flops: u64,
    /// Wall-clock seconds so far. A resumed run continues from the seconds
    /// saved in its checkpoint, so this is the only field of a record that
    /// is not bit-identical to an uninterrupted run's.
    pub seconds: f64,
}

/// What an observer wants after a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Keep training.
    Continue,
    /// Stop now (e.g. the task is solved).
    Stop,
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// The step budget was used.
    Steps,
    /// The forward-pass budget was used.
    ForwardEquivalents,
    /// The time budget was used.
    Seconds,
    /// The target loss was reached.
    TargetReached,
    /// The observer stopped it.
    Observer,
}

/// The result of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// The recorded curve.
    pub records: Vec<Record>,
    /// Why it stopped.
    pub stop: StopReason,
    /// The last record (also the last element of `records`).
    pub last: Record,
}

/// Called every `record_every` steps with the record and the objective
/// (its concrete type, so an observer can look at the model's outputs).
pub trait Observer<O: ?Sized> {
    /// Looks at the run; may stop it.
    fn observe(&mut self, record: &Record, objective: &mut O) -> Control;
}

/// An observer that never stops a run.
pub struct NoObserver;

impl<O: ?Sized> Observer<O> for NoObserver {
    fn observe(&mut self, _record: &Record, _objective: &mut O) -> Control {
        Control::Continue
    }
}

impl<O: ?Sized, F: FnMut(&Record, &mut O) -> Control> Observer<O> for F {
    fn observe(&mut self, record: &Record, objective: &mut O) -> Control {
        self(record, objective)
    }
}

impl TrainSpec {
    /// Checks that the spec can drive a run.
    pub fn validate(&self) -> Result<(), TrainError> {
        let b = self.budget;
        if b.steps.is_none() && b.forward_equivalents.is_none() && b.seconds.is_none() {
            return Err(TrainError::Config("the budget sets no limit".into()));
        }
        if b.steps == Some(0) {
            return Err(TrainError::Config("a step budget must be > 0".into()));
        }
        if b.forward_equivalents == Some(0) {
            return Err(TrainError::Config(
                "a forward-pass budget must be > 0".into(),
            ));
        }
        if b.seconds.is_some_and(|s| !(s.is_finite() && s > 0.0)) {
            return Err(TrainError::Config(
                "a time budget must be a finite number of seconds > 0".into(),
            ));
        }
        if self.record_every == 0 {
            return Err(TrainError::Config("record_every must be >= 1".into()));
        }
        Ok(())
    }
}

/// The trainer's side of a run: its spec, the records so far and the
/// running counters. Saved in every [`Checkpoint`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// How the run is driven.
    pub spec: TrainSpec,
    /// The records so far.
    pub records: Vec<Record>,
    /// The running totals (steps, passes, FLOPs, rejections) and the last
    /// accepted step's statistics.
    pub current: Record,
    /// Rejected steps in a row so far.
    pub consecutive_rejections: u64,
    /// Wall-clock seconds of training so far, over every session of the run.
    pub elapsed_seconds: f64,
    /// Why the run stopped, once it has.
    pub stop: Option<StopReason>,
}

impl TrainState {
    /// A run that has not started.
    pub fn new(spec: TrainSpec) -> Self {
        Self {
            spec,
            records: Vec::new(),
            current: Record {
                loss: f64::NAN,
                ..Default::default()
            },
            consecutive_rejections: 0,
            elapsed_seconds: 0.0,
            stop: None,
        }
    }

    fn result(&self, stop: StopReason) -> RunResult {
        RunResult {
            records: self.records.clone(),
            stop,
            last: *self.records.last().unwrap_or(&self.current),
        }
    }
}

/// A resumable run: the optimizer, the trainer's state and, optionally, a
/// checkpoint policy.
///
/// ```
/// use dopamine_bench::{Budget, FnObjective, NoObserver, Optimizer, OptimizerSpec, PerturbSpec, TrainSpec, Trainer};
///
/// let loss = |w: &[f64]| w.iter().map(|x| x * x).sum::<f64>();
/// let spec = OptimizerSpec::Dopamine1 {
///     perturb: PerturbSpec { sigma: 1e-3, eta: 0.05, probes: 1, antithetic: false, cosine_to: None },
///     beta: 0.9,
/// };
/// let train_spec = TrainSpec { budget: Budget::steps(200), ..Default::default() };
/// let mut objective = FnObjective::new(vec![2.0, -1.0], loss, 0);
/// let mut trainer = Trainer::new(Optimizer::new(spec, 2, 7, 200)?, train_spec)?;
/// // Stop after 100 steps, checkpoint (in memory here), resume, finish.
/// trainer.run_until(&mut objective, 100, &mut NoObserver)?;
/// let saved = trainer.checkpoint(&objective)?;
/// let mut resumed = Trainer::resume(saved, &mut objective)?;
/// let run = resumed.run(&mut objective, &mut NoObserver)?;
/// assert_eq!(run.last.step, 200);
/// # Ok::<(), dopamine_bench::TrainError>(())
/// ```
#[derive(Debug)]
pub struct Trainer {
    optimizer: Optimizer,
    state: TrainState,
    checkpoints: Option<CheckpointPolicy>,
}

impl Trainer {
    /// A new run of `optimizer` driven by `spec` (validated).
    pub fn new(optimizer: Optimizer, spec: TrainSpec) -> Result<Self, TrainError> {
        spec.validate()?;
        Ok(Self {
            optimizer,
            state: TrainState::new(spec),
            checkpoints: None,
        })
    }

    /// Writes a checkpoint every `policy.every_steps` steps (validated).
    pub fn with_checkpoints(mut self, policy: CheckpointPolicy) -> Result<Self, TrainError> {
        policy.validate().map_err(TrainError::Config)?;
        self.checkpoints = Some(policy);
        Ok(self)
    }

    /// Continues the run saved in `checkpoint`: its parameters are copied
    /// into `objective`, which must have as many. Add a checkpoint policy
    /// again with [`Trainer::with_checkpoints`] if the resumed run should
    /// write more.
    pub fn resume<O: Objective + ?Sized>(
        checkpoint: Checkpoint,
        objective: &mut O,
    ) -> Result<Self, TrainError> {
        checkpoint.validate()?;
        checkpoint.state.spec.validate()?;
        let dim = objective.params().len();
        if checkpoint.params.len() != dim {
            return Err(TrainError::Checkpoint(CheckpointError::Invalid(format!(
                "the checkpoint holds {} parameters, the model has {dim}",
                checkpoint.params.len()
            ))));
        }
        objective.params_mut().copy_from_slice(&checkpoint.params);
        Ok(Self {
            optimizer: checkpoint.optimizer,
            state: checkpoint.state,
            checkpoints: None,
        })
    }

    /// The whole state of the run with `objective`'s parameters. Refuses
    /// non-finite parameters.
    pub fn checkpoint<O: Objective + ?Sized>(
        &self,
        objective: &O,
    ) -> Result<Checkpoint, CheckpointError> {
        capture(&self.optimizer, &self.state, objective.params())
    }

    /// The optimizer.
    pub fn optimizer(&self) -> &Optimizer {
        &self.optimizer
    }

    /// The trainer's state: records, counters, elapsed time.
    pub fn state(&self) -> &TrainState {
        &self.state
    }

    /// Trains until the budget, the target or the observer stops the run
    /// (at once if it already stopped). Writes checkpoints if a policy is
    /// set. Errors as [`train`]; after [`TrainError::Diverged`] the last
    /// checkpoint written is the last good state.
    pub fn run<O: Objective + ?Sized>(
        &mut self,
        objective: &mut O,
        observer: &mut dyn Observer<O>,
    ) -> Result<RunResult, TrainError> {
        run_loop(
            objective,
            &mut self.optimizer,
            &mut self.state,
            self.checkpoints.as_ref(),
            None,
            observer,
        )
    }

    /// As [`Trainer::run`], but also pauses (returns `None`) once `steps`
    /// steps in total are done; `Some` when the run stopped for good.
    pub fn run_until<O: Objective + ?Sized>(
        &mut self,
        objective: &mut O,
        steps: u64,
        observer: &mut dyn Observer<O>,
    ) -> Result<Option<RunResult>, TrainError> {
        if self.state.stop.is_none() && self.state.current.step >= steps {
            return Ok(None);
        }
        let result = run_loop(
            objective,
            &mut self.optimizer,
            &mut self.state,
            self.checkpoints.as_ref(),
            Some(steps),
            observer,
        )?;
        Ok(self.state.stop.map(|_| result))
    }
}

fn capture(
    optimizer: &Optimizer,
    state: &TrainState,
    params: &[f64],
) -> Result<Checkpoint, CheckpointError> {
    let checkpoint = Checkpoint {
        params: params.to_vec(),
        optimizer: optimizer.clone(),
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
pub fn train<O: Objective + ?Sized>(
    objective: &mut O,
    optimizer: &mut Optimizer,
    spec: &TrainSpec,
    observer: &mut dyn Observer<O>,
) -> Result<RunResult, TrainError> {
    spec.validate()?;
    let mut state = TrainState::new(*spec);
    run_loop(objective, optimizer, &mut state, None, None, observer)
}

/// The loop behind [`train`] and [`Trainer`]: continues from `state`.
/// With `pause_at`, it also returns once that many steps are done (the run
/// then has no stop reason yet; the result is what was recorded so far).
fn run_loop<O: Objective + ?Sized>(
    objective: &mut O,
    optimizer: &mut Optimizer,
    state: &mut TrainState,
    checkpoints: Option<&CheckpointPolicy>,
    pause_at: Option<u64>,
    observer: &mut dyn Observer<O>,
) -> Result<RunResult, TrainError> {
    let spec = state.spec;
    spec.validate()?;
    if let Some(stop) = state.stop {
        return Ok(state.result(stop));
    }
    let b = spec.budget;
    let cost = objective.cost();
    let start = Instant::now();
    let before = state.elapsed_seconds;
    loop {
        if pause_at.is_some_and(|p| state.current.step >= p) {
            return Ok(state.result(StopReason::Steps));
        }
        let info = optimizer.step(objective.as_dyn())?;
        let rec = &mut state.current;
        rec.step += 1;
        rec.forward_passes += info.forward_passes;
        rec.backward_passes += info.backward_passes;
        rec.flops +=
            info.forward_passes * cost.forward_flops + info.backward_passes * cost.backward_flops;
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
            rec.last_delta = info.last_delta;
            rec.expected_rpe = info.expected_rpe;
            rec.surprise_size = info.surprise_size;
        }
        let out_of_steps = b.steps.is_some_and(|s| rec.step >= s);
        let out_of_passes = b
            .forward_equivalents
            .is_some_and(|f| rec.forward_passes + rec.backward_passes >= f);
        let elapsed = before + start.elapsed().as_secs_f64();
        state.elapsed_seconds = elapsed;
        let out_of_time = b.seconds.is_some_and(|s| elapsed >= s);
        let reached = spec.target_loss.is_some_and(|t| rec.loss <= t);
        let finishing = out_of_steps || out_of_passes || out_of_time || reached;
        let mut stop = None;
        if rec.step % spec.record_every == 0 || finishing {
            rec.seconds = elapsed;
            let rec = *rec;
            state.records.push(rec);
            if observer.observe(&rec, objective) == Control::Stop {
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
        if let Some(policy) = checkpoints {
            if state.current.step % policy.every_steps == 0 {
                checkpoint::save(policy, &capture(optimizer, state, objective.params())?)?;
            }
        }
        if let Some(stop) = stop {
            return Ok(state.result(stop));
        }
    }
}
