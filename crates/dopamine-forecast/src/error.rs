//! [`ForecastError`]: what a forecasting run can fail with (its training, or its data).

use std::fmt;

use dopamine_tasks::TaskError;
use dopamine_train::TrainError;

/// Everything a forecasting run can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum ForecastError {
    /// Training (the model, the optimizer, the run) failed.
    Train(TrainError),
    /// The data cannot be split, normalised or scored.
    Task(TaskError),
}

impl fmt::Display for ForecastError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForecastError::Train(e) => write!(f, "{e}"),
            ForecastError::Task(e) => write!(f, "data: {e}"),
        }
    }
}

impl std::error::Error for ForecastError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ForecastError::Train(e) => Some(e),
            ForecastError::Task(e) => Some(e),
        }
    }
}

impl From<TrainError> for ForecastError {
    fn from(e: TrainError) -> Self {
        ForecastError::Train(e)
    }
}

impl From<TaskError> for ForecastError {
    fn from(e: TaskError) -> Self {
        ForecastError::Task(e)
    }
}

impl From<dopamine_nets::NetError> for ForecastError {
    fn from(e: dopamine_nets::NetError) -> Self {
        ForecastError::Train(TrainError::Net(e))
    }
}
