//! The built-in [`Optimizer`](crate::Optimizer)s: the perturbation rules and OpenES through [`NamedRule`], SNES through [`SnesOptimizer`], and the gradient methods through [`GradientDescent`].

mod gradient;
mod perturbation;
mod snes;

pub use gradient::{AdamOptimizer, GradientDescent, GradientRule, SgdOptimizer};
pub use perturbation::NamedRule;
pub use snes::SnesOptimizer;
