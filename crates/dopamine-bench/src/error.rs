//! Errors of the lab: bad experiment configs (file and field named), files that cannot be written (path named), training and data errors.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use dopamine_train::TrainError;

/// Everything an experiment, a report or a benchmark can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum BenchError {
    /// A training run failed.
    Train(TrainError),
    /// Data generation or loading failed.
    Task(dopamine_tasks::TaskError),
    /// An experiment config is refused: its file, the field, and why.
    Config {
        /// The config file (`xor.json`, or its path when read from a folder).
        file: String,
        /// The field, as a path into the file (`optimizers[0].rates`).
        field: String,
        /// Why it is refused.
        reason: String,
    },
    /// A file or folder could not be read or written.
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A figure could not be drawn.
    Plot(dopamine_plot::PlotError),
    /// Something the lab needs of the machine (a thread pool) is unavailable.
    Setup(String),
    /// `cargo xtask bench --only` named a benchmark that does not exist.
    UnknownBenchmark {
        /// The id asked for.
        id: String,
        /// The ids there are.
        known: Vec<&'static str>,
    },
}

impl BenchError {
    /// An I/O error on `path`, for `map_err`.
    pub fn io(path: &Path) -> impl FnOnce(io::Error) -> BenchError + '_ {
        move |source| BenchError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A config error in `file` at `field`.
    pub fn config(file: &str, field: impl Into<String>, reason: impl Into<String>) -> Self {
        BenchError::Config {
            file: file.to_string(),
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::Train(e) => write!(f, "{e}"),
            BenchError::Task(e) => write!(f, "data: {e}"),
            BenchError::Config {
                file,
                field,
                reason,
            } => write!(f, "{file}: `{field}`: {reason}"),
            BenchError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            BenchError::Plot(e) => write!(f, "plot: {e}"),
            BenchError::Setup(m) => write!(f, "setup: {m}"),
            BenchError::UnknownBenchmark { id, known } => {
                write!(f, "no benchmark {id} (there are {})", known.join(", "))
            }
        }
    }
}

impl std::error::Error for BenchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BenchError::Train(e) => Some(e),
            BenchError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<TrainError> for BenchError {
    fn from(e: TrainError) -> Self {
        BenchError::Train(e)
    }
}

impl From<dopamine_tasks::TaskError> for BenchError {
    fn from(e: dopamine_tasks::TaskError) -> Self {
        BenchError::Task(e)
    }
}

impl From<dopamine_nets::NetError> for BenchError {
    fn from(e: dopamine_nets::NetError) -> Self {
        BenchError::Train(TrainError::Net(e))
    }
}

impl From<dopamine_core::Error> for BenchError {
    fn from(e: dopamine_core::Error) -> Self {
        BenchError::Train(TrainError::Optimizer(e))
    }
}

impl From<dopamine_train::CheckpointError> for BenchError {
    fn from(e: dopamine_train::CheckpointError) -> Self {
        BenchError::Train(TrainError::Checkpoint(e))
    }
}

impl From<dopamine_forecast::ForecastError> for BenchError {
    fn from(e: dopamine_forecast::ForecastError) -> Self {
        match e {
            dopamine_forecast::ForecastError::Train(e) => BenchError::Train(e),
            dopamine_forecast::ForecastError::Task(e) => BenchError::Task(e),
            // `ForecastError` is non-exhaustive: a new kind reads as a setup error.
            other => BenchError::Setup(other.to_string()),
        }
    }
}

/// A tuning variant that does not apply to its base (a checked config has none).
impl From<dopamine_train::tuning::VariantError> for BenchError {
    fn from(e: dopamine_train::tuning::VariantError) -> Self {
        BenchError::Setup(e.to_string())
    }
}

impl From<dopamine_plot::PlotError> for BenchError {
    fn from(e: dopamine_plot::PlotError) -> Self {
        BenchError::Plot(e)
    }
}
