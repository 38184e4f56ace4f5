//! Observers: what a run calls every `record_every` steps and when a checkpoint cannot be written ([`Observer`], [`NoObserver`], [`Control`]).

use crate::record::{CheckpointFailure, Record};

/// What an observer wants after a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Keep training.
    Continue,
    /// Stop now (e.g. the task is solved).
    Stop,
}

/// Called every `record_every` steps with the record and the objective
/// (its concrete type, so an observer can look at the model's outputs).
/// Closures `FnMut(&Record, &mut O) -> Control` are observers.
pub trait Observer<O: ?Sized> {
    /// Looks at the run; may stop it.
    fn observe(&mut self, record: &Record, objective: &mut O) -> Control;

    /// Called when a checkpoint could not be written, before the run goes
    /// on or stops as its [`crate::store::OnWriteFailure`] says; a progress
    /// display prints it. Does nothing by default (the failure is also in
    /// [`crate::RunResult::checkpoint_failures`]).
    fn checkpoint_failed(&mut self, failure: &CheckpointFailure) {
        let _ = failure;
    }
}

/// An observer that never stops a run.
#[derive(Debug, Clone, Copy, Default)]
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
