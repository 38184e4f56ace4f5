//! [`StateViews`]: named, read-only values of a running optimizer's state (WP's `eta_scale`, Dopamine-2's trace, SNES's `sigma`, ...), which front ends show without knowing the optimizer's type (the Python bindings make each a property).

use crate::optimizers::GradientDescent;

/// What kind of value a view is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    /// One number (a rate, a running statistic).
    Number,
    /// A count.
    Count,
    /// One value per parameter (a trace, a step size per parameter).
    Vector,
    /// Two vectors of one value per parameter (Adam's two moments).
    VectorPair,
}

/// A view's name, what it shows and its kind. The name follows the
/// settings' naming: lower case, words joined by `_`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewInfo {
    /// The name (`eta_scale`, `trace`, ...).
    pub name: &'static str,
    /// What it is, in one sentence.
    pub doc: &'static str,
    /// Its kind.
    pub kind: ViewKind,
}

/// The value of a view, borrowed from the optimizer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum View<'a, T> {
    /// One number, as `f64` whatever the parameters' type.
    Number(f64),
    /// A count.
    Count(u64),
    /// One value per parameter.
    Vector(&'a [T]),
    /// Two vectors of one value per parameter.
    VectorPair(&'a [T], &'a [T]),
}

/// Named, read-only values of an optimizer's state, for front ends: the
/// rules of the perturbation optimizers and the other built optimizers
/// implement it, so that a binding shows them without knowing the type
/// (the registry's [`Sink`](crate::registry::Sink) asks for it).
/// Nothing by default.
pub trait StateViews<T> {
    /// The views, in the order a front end lists them.
    const VIEWS: &'static [ViewInfo] = &[];

    /// The value of the view `name` (one of [`StateViews::VIEWS`]); `None`
    /// for any other name.
    fn view(&self, name: &str) -> Option<View<'_, T>> {
        let _ = name;
        None
    }
}

/// The gradient methods show no state beyond their learning rate (the
/// optimizer's `current_rate`).
impl<T, G> StateViews<T> for GradientDescent<T, G> {}
