//! Errors of the harness: bad configs, bad data, optimizers that cannot run.

use std::fmt;

/// Everything a training run or an experiment can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum TrainError {
    /// An optimizer setting was rejected by the kernel.
    Optimizer(dopamine_core::Error),
    /// A model or data shape was rejected.
    Net(dopamine_nets::NetError),
    /// Data generation or loading failed.
    Task(dopamine_tasks::TaskError),
    /// A gradient optimizer was given an objective without gradients.
    NoGradient,
    /// The loss at the starting parameters is not finite.
    NonFiniteStart,
    /// The run gave up after this many consecutive rejected steps.
    Diverged {
        /// Consecutive rejections when it stopped.
        rejections: u64,
    },
    /// A config value is invalid; the message says which and why.
    Config(String),
    /// Reading or writing a file failed.
    Io(std::io::Error),
    /// Writing, reading or resuming from a checkpoint failed.
    Checkpoint(crate::checkpoint::CheckpointError),
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Optimizer(e) => write!(f, "optimizer: {e}"),
            TrainError::Net(e) => write!(f, "model: {e}"),
            TrainError::Task(e) => write!(f, "data: {e}"),
            TrainError::NoGradient => {
                f.write_str("this objective has no gradient; use a perturbation rule")
            }
            TrainError::NonFiniteStart => {
                f.write_str("the loss at the starting parameters is not finite")
            }
            TrainError::Diverged { rejections } => {
                write!(
                    f,
                    "stopped after {rejections} consecutive rejected steps (non-finite losses)"
                )
            }
            TrainError::Config(m) => write!(f, "config: {m}"),
            TrainError::Io(e) => write!(f, "i/o: {e}"),
            TrainError::Checkpoint(e) => write!(f, "checkpoint: {e}"),
        }
    }
}

impl std::error::Error for TrainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TrainError::Io(e) => Some(e),
            TrainError::Checkpoint(e) => Some(e),
            _ => None,
        }
    }
}

impl From<crate::checkpoint::CheckpointError> for TrainError {
    fn from(e: crate::checkpoint::CheckpointError) -> Self {
        TrainError::Checkpoint(e)
    }
}

impl From<dopamine_core::Error> for TrainError {
    fn from(e: dopamine_core::Error) -> Self {
        TrainError::Optimizer(e)
    }
}
impl From<dopamine_nets::NetError> for TrainError {
    fn from(e: dopamine_nets::NetError) -> Self {
        TrainError::Net(e)
    }
}
impl From<dopamine_tasks::TaskError> for TrainError {
    fn from(e: dopamine_tasks::TaskError) -> Self {
        TrainError::Task(e)
    }
}
impl From<std::io::Error> for TrainError {
    fn from(e: std::io::Error) -> Self {
        TrainError::Io(e)
    }
}
