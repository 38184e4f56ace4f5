//! The paper's experiments (E1 XOR, E2 Mackey-Glass, E3 Lorenz-63, E4 cost) and their shared tuning step.

pub mod cost;
pub mod forecast;
pub mod tuning;
pub mod xor;

pub use crate::mode::{ByMode, Mode};
