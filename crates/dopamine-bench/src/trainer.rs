//! The training loop: any optimizer on any objective, with budgets, records and observers.

use std::time::Instant;

use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
    /// Wall-clock seconds so far.
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

/// Trains `objective` with `optimizer` until the budget, the target or the
/// observer stops it.
///
/// Errors: an invalid spec, an optimizer error, or more than
/// `max_consecutive_rejections` rejected steps in a row
/// ([`TrainError::Diverged`]); the objective's parameters are then the last
/// ones that gave a finite loss.
pub fn train<O: Objective + ?Sized>(
    objective: &mut O,
    optimizer: &mut Optimizer,
    spec: &TrainSpec,
    observer: &mut dyn Observer<O>,
) -> Result<RunResult, TrainError> {
    let b = spec.budget;
    if b.steps.is_none() && b.forward_equivalents.is_none() && b.seconds.is_none() {
        return Err(TrainError::Config("the budget sets no limit".into()));
    }
    if b.steps == Some(0) {
        return Err(TrainError::Config("a step budget must be > 0".into()));
    }
    if spec.record_every == 0 {
        return Err(TrainError::Config("record_every must be >= 1".into()));
    }
    let cost = objective.cost();
    let start = Instant::now();
    let mut records = Vec::new();
    let mut rec = Record {
        step: 0,
        loss: f64::NAN,
        effective_eta: 0.0,
        last_delta: 0.0,
        expected_rpe: 0.0,
        surprise_size: 0.0,
        rejected_steps: 0,
        forward_passes: 0,
        backward_passes: 0,
        flops: 0,
        seconds: 0.0,
    };
    let mut consecutive = 0u64;
    let stop = loop {
        let info = optimizer.step(objective.as_dyn())?;
        rec.step += 1;
        rec.forward_passes += info.forward_passes;
        rec.backward_passes += info.backward_passes;
        rec.flops +=
            info.forward_passes * cost.forward_flops + info.backward_passes * cost.backward_flops;
        if info.rejected {
            rec.rejected_steps += 1;
            consecutive += 1;
            if consecutive > spec.max_consecutive_rejections {
                return Err(TrainError::Diverged {
                    rejections: consecutive,
                });
            }
        } else {
            consecutive = 0;
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
        let elapsed = start.elapsed().as_secs_f64();
        let out_of_time = b.seconds.is_some_and(|s| elapsed >= s);
        let reached = spec.target_loss.is_some_and(|t| rec.loss <= t);
        let finishing = out_of_steps || out_of_passes || out_of_time || reached;
        if rec.step % spec.record_every == 0 || finishing {
            rec.seconds = elapsed;
            records.push(rec);
            if observer.observe(&rec, objective) == Control::Stop {
                break StopReason::Observer;
            }
        }
        if reached {
            break StopReason::TargetReached;
        }
        if out_of_steps {
            break StopReason::Steps;
        }
        if out_of_passes {
            break StopReason::ForwardEquivalents;
        }
        if out_of_time {
            break StopReason::Seconds;
        }
    };
    let last = *records.last().unwrap_or(&rec);
    Ok(RunResult {
        records,
        stop,
        last,
    })
}
