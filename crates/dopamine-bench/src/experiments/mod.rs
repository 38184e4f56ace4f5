//! The paper's experiments (E1 XOR, E2 Mackey-Glass, E3 Lorenz-63, E4 cost, E5 scaling), their shared tuning step, the `Experiment` abstraction and the one list `reproduce` runs.

pub mod cost;
mod experiment;
pub mod forecast;
mod list;
pub mod scaling;
pub mod xor;

pub use crate::mode::{ByMode, Mode};
/// Fair tuning lives in `dopamine-train` (the `dopamine` command line tunes
/// through it too); the lab's paths `experiments::tuning::...` name it.
pub use dopamine_train::tuning;
pub use experiment::{AnyExperiment, Experiment, Outcome, Prepared, RunContext, Session};
pub use list::EXPERIMENTS;
