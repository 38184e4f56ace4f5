//! The built-in [`Optimizer`](crate::Optimizer)s: the perturbation rules and OpenES through [`NamedRule`], SNES through [`SnesOptimizer`], Dopamine-3 through [`Dopamine3Optimizer`], and the gradient methods through [`GradientDescent`].

pub(crate) mod gradient;
mod node;
mod online;
mod perturbation;
mod snes;

pub use gradient::{AdamOptimizer, GradientDescent, GradientRule, SgdOptimizer};
pub use node::Dopamine3Optimizer;
pub use online::OnlineGradient;
pub use perturbation::NamedRule;
pub use snes::SnesOptimizer;
