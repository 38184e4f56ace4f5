//! The built-in [`Optimizer`](crate::Optimizer)s: the perturbation rules and OpenES through [`NamedRule`], SNES through [`SnesOptimizer`], Dopamine-3 through [`Dopamine3Optimizer`], and the gradient methods through [`GradientDescent`].

mod gradient;
mod node;
mod perturbation;
mod snes;

pub use gradient::{AdamOptimizer, GradientDescent, GradientRule, SgdOptimizer};
pub use node::Dopamine3Optimizer;
pub use perturbation::NamedRule;
pub use snes::SnesOptimizer;
