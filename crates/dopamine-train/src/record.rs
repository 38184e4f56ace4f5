//! What a run is asked to do and what it records: [`Budget`], [`TrainSpec`], [`Record`], [`StopReason`], [`RunResult`], [`TrainState`], [`CheckpointFailure`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::SpecError;

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

    /// A budget of `passes` forward-pass equivalents.
    pub fn forward_equivalents(passes: u64) -> Self {
        Self {
            forward_equivalents: Some(passes),
            ..Default::default()
        }
    }

    /// Checks that the budget sets a limit and that every limit set is positive.
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.steps.is_none() && self.forward_equivalents.is_none() && self.seconds.is_none() {
            return Err(SpecError::new("budget", "the budget sets no limit"));
        }
        if self.steps == Some(0) {
            return Err(SpecError::new("budget.steps", "a step budget must be > 0"));
        }
        if self.forward_equivalents == Some(0) {
            return Err(SpecError::new(
                "budget.forward_equivalents",
                "a forward-pass budget must be > 0",
            ));
        }
        if self.seconds.is_some_and(|s| !(s.is_finite() && s > 0.0)) {
            return Err(SpecError::new(
                "budget.seconds",
                "a time budget must be a finite number of seconds > 0",
            ));
        }
        Ok(())
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

impl TrainSpec {
    /// Checks that the spec can drive a run.
    pub fn validate(&self) -> Result<(), SpecError> {
        self.budget.validate()?;
        if self.record_every == 0 {
            return Err(SpecError::new("record_every", "must be >= 1"));
        }
        Ok(())
    }
}

/// One point of a training curve. Losses and rates are `f64` whatever the
/// parameters' type.
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
    /// The checkpoints this trainer could not write, oldest first (empty
    /// without a checkpoint policy). Not part of the checkpointed state: a
    /// failed write changes nothing in the run, and a resumed trainer starts
    /// with an empty list. Absent in results serialized before it existed.
    #[serde(default)]
    pub checkpoint_failures: Vec<CheckpointFailure>,
}

/// A checkpoint that could not be written, as a run reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointFailure {
    /// The step whose checkpoint was not written.
    pub step: u64,
    /// The file or folder the error is about.
    pub path: PathBuf,
    /// The error, as text (it names `path`).
    pub error: String,
}

impl std::fmt::Display for CheckpointFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the checkpoint of step {} was not written: {}",
            self.step, self.error
        )
    }
}

/// The trainer's side of a run: its spec, the records so far and the
/// running counters. Saved in every checkpoint.
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

    /// The run so far as a result that stopped for `stop`.
    pub fn result(&self, stop: StopReason) -> RunResult {
        RunResult {
            records: self.records.clone(),
            stop,
            last: *self.records.last().unwrap_or(&self.current),
            checkpoint_failures: Vec::new(),
        }
    }
}
