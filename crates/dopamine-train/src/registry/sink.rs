//! [`Sink`]: what a registry entry hands its running optimizer to — the trainer's boxed [`Optimizer`] ([`Boxed`]) or a front end's own object (the Python bindings keep the concrete type, for the one-point interface) — and the storage of its per-parameter state.

use dopamine_core::{PerturbationOptimizer, UpdateRule};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::float::Float;
use crate::optimizer::Optimizer;
use crate::optimizers::NamedRule;
use crate::registry::views::StateViews;

/// A perturbation rule a registry entry builds: everything the trainer
/// and a front end ask of it (implemented for every type that has it).
pub trait BuiltRule<T: Float>:
    UpdateRule<T>
    + NamedRule
    + StateViews<T>
    + Serialize
    + DeserializeOwned
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<T, R> BuiltRule<T> for R
where
    T: Float,
    R: UpdateRule<T>
        + NamedRule
        + StateViews<T>
        + Serialize
        + DeserializeOwned
        + Clone
        + Send
        + Sync
        + 'static,
{
}

/// Any other optimizer a registry entry builds (SNES, the gradient
/// methods): an [`Optimizer`] whose state a front end can show and copy.
pub trait BuiltOptimizer<T: Float>: Optimizer<T> + StateViews<T> + Clone + Sync + 'static {}

impl<T, O> BuiltOptimizer<T> for O
where
    T: Float,
    O: Optimizer<T> + StateViews<T> + Clone + Sync + 'static,
{
}

/// Per-parameter state a rule keeps (Dopamine-2's trace, OpenES's
/// moments, the second moment), in storage the host chooses.
pub trait StateVector<T>:
    AsRef<[T]> + AsMut<[T]> + Clone + Serialize + DeserializeOwned + Send + Sync + 'static
{
}

impl<T, V> StateVector<T> for V where
    V: AsRef<[T]> + AsMut<[T]> + Clone + Serialize + DeserializeOwned + Send + Sync + 'static
{
}

/// Where a registry entry's `build_into` puts the optimizer it built: the
/// host's side of the build. The trainer boxes it ([`Boxed`]); the Python
/// bindings keep its concrete type, so that a perturbation optimizer
/// offers its one-point ask/tell, and share its state vectors
/// copy-on-write. The host also chooses the storage of the rule's
/// per-parameter state ([`Sink::zeros`]).
pub trait Sink<T: Float> {
    /// What the host makes of the optimizer.
    type Output;
    /// The storage of per-parameter state.
    type Vector: StateVector<T>;

    /// `n` zeros, for a rule's per-parameter state.
    fn zeros(&self, n: usize) -> Self::Vector;

    /// A perturbation optimizer (WP, the Dopamine rules, OpenES): batch
    /// steps and the one-point ask/tell.
    fn perturbation<R: BuiltRule<T>>(self, optimizer: PerturbationOptimizer<T, R>) -> Self::Output;

    /// Any other optimizer (SNES, the gradient methods).
    fn optimizer<O: BuiltOptimizer<T>>(self, optimizer: O) -> Self::Output;
}

/// The trainer's sink: the optimizer as a `Box<dyn Optimizer<T>>`, its
/// state in `Vec`s.
#[derive(Debug, Clone, Copy, Default)]
pub struct Boxed;

impl<T: Float> Sink<T> for Boxed {
    type Output = Box<dyn Optimizer<T>>;
    type Vector = Vec<T>;

    fn zeros(&self, n: usize) -> Vec<T> {
        vec![T::ZERO; n]
    }

    fn perturbation<R: BuiltRule<T>>(self, optimizer: PerturbationOptimizer<T, R>) -> Self::Output {
        Box::new(optimizer)
    }

    fn optimizer<O: BuiltOptimizer<T>>(self, optimizer: O) -> Self::Output {
        Box::new(optimizer)
    }
}
