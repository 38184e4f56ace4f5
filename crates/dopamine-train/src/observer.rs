//! Observers: what a run calls every `record_every` steps ([`Observer`], [`NoObserver`], [`Control`]).

use crate::record::Record;

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
