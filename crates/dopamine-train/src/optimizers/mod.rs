//! The built-in [`Optimizer`](crate::Optimizer)s: the perturbation rules through [`NamedRule`], and the gradient methods through [`GradientDescent`].

mod gradient;
mod perturbation;

pub use gradient::{AdamOptimizer, GradientDescent, GradientRule, SgdOptimizer};
pub use perturbation::NamedRule;
