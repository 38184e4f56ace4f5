//! The errors of training and of checkpoints: [`TrainError`], [`CheckpointError`] and [`SpecError`].

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A setting that cannot drive a run, named by its field.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError {
    /// The field, as written in a config (`budget.steps`, `record_every`, `keep`).
    pub field: &'static str,
    /// Why the value is refused.
    pub reason: String,
}

impl SpecError {
    /// The error for `field`, with the reason.
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.field, self.reason)
    }
}

impl std::error::Error for SpecError {}

/// Everything a training run can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum TrainError {
    /// An optimizer setting or call was rejected by the kernel.
    Optimizer(dopamine_core::Error),
    /// A model or data shape was rejected.
    Net(dopamine_nets::NetError),
    /// A setting of the run (budget, records, checkpoint policy, thread pool) is invalid.
    Spec(SpecError),
    /// A gradient optimizer was given an objective without gradients.
    NoGradient,
    /// Dopamine-3 was given an objective without neurons it can perturb
    /// (a loss closure: only a function of a flat parameter vector).
    NoNeurons,
    /// The loss at the starting parameters is not finite.
    NonFiniteStart,
    /// The run gave up after this many consecutive rejected steps.
    Diverged {
        /// Consecutive rejections when it stopped.
        rejections: u64,
    },
    /// Writing, reading or resuming from a checkpoint failed.
    Checkpoint(CheckpointError),
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Optimizer(e) => write!(f, "optimizer: {e}"),
            TrainError::Net(e) => write!(f, "model: {e}"),
            TrainError::Spec(e) => write!(f, "invalid setting {e}"),
            TrainError::NoGradient => {
                f.write_str("this objective has no gradient; use a perturbation rule")
            }
            TrainError::NoNeurons => f.write_str(
                "Dopamine-3 perturbs a model's neurons, and this objective has none it can \
                 reach (a loss closure is only a function of a flat parameter vector): train \
                 an RnnObjective or MlpObjective, or implement Objective::node_model",
            ),
            TrainError::NonFiniteStart => {
                f.write_str("the loss at the starting parameters is not finite")
            }
            TrainError::Diverged { rejections } => write!(
                f,
                "stopped after {rejections} consecutive rejected steps (non-finite losses)"
            ),
            TrainError::Checkpoint(e) => write!(f, "checkpoint: {e}"),
        }
    }
}

impl std::error::Error for TrainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TrainError::Checkpoint(e) => Some(e),
            TrainError::Spec(e) => Some(e),
            _ => None,
        }
    }
}

impl From<CheckpointError> for TrainError {
    fn from(e: CheckpointError) -> Self {
        TrainError::Checkpoint(e)
    }
}

impl From<SpecError> for TrainError {
    fn from(e: SpecError) -> Self {
        TrainError::Spec(e)
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

/// What can go wrong with a checkpoint. Every variant names the problem;
/// none of them is a panic.
#[derive(Debug)]
#[non_exhaustive]
pub enum CheckpointError {
    /// A file or folder could not be read or written.
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The file ends before the header or the payload it announces.
    Truncated {
        /// Bytes the header (or the header's length field) needs.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// The file is longer than header plus announced payload.
    TrailingBytes {
        /// Bytes past the payload.
        extra: u64,
    },
    /// The file does not start with the checkpoint magic bytes: not a checkpoint.
    BadMagic {
        /// The first bytes found.
        found: [u8; 8],
    },
    /// A format version this build cannot read.
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// The payload's checksum does not match: the file is damaged.
    ChecksumMismatch {
        /// Checksum in the header.
        stored: u32,
        /// Checksum of the payload as read.
        computed: u32,
    },
    /// The parameters were saved in another float type than the run uses.
    ScalarMismatch {
        /// The type in the file (`f32` or `f64`).
        found: &'static str,
        /// The type of the run loading it.
        expected: &'static str,
    },
    /// The checkpoint was written by another optimizer than the one resuming it.
    OptimizerMismatch {
        /// The optimizer named in the checkpoint.
        found: String,
        /// The optimizer given to resume it.
        expected: String,
    },
    /// The payload passed the checksum but does not decode.
    Decode(String),
    /// The checkpoint could not be encoded.
    Encode(String),
    /// The payload decodes but is inconsistent (e.g. the optimizer's state
    /// is for another number of parameters).
    Invalid(String),
    /// The parameters hold a NaN or infinite value; such a state is never written.
    NonFiniteParameters {
        /// Index of the first bad value.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A folder holds no checkpoint that reads back whole.
    NoValidCheckpoint {
        /// The folder.
        dir: PathBuf,
        /// The files tried, newest first, and why each was refused.
        skipped: Vec<SkippedCheckpoint>,
    },
    /// In a run spread over several processes ([`crate::Replicas`]), the
    /// process that writes the checkpoints could not write this step's and
    /// the policy stops the run ([`crate::store::OnWriteFailure::Stop`]);
    /// that process's own error names the file.
    WriterFailed {
        /// The step whose checkpoint was not written.
        step: u64,
    },
}

/// A checkpoint file that [`crate::store::load_latest`] passed over.
#[derive(Debug)]
pub struct SkippedCheckpoint {
    /// The file.
    pub path: PathBuf,
    /// Why it was refused.
    pub error: CheckpointError,
}

impl CheckpointError {
    /// An I/O error on `path`, for `map_err`.
    pub fn io(path: &std::path::Path) -> impl FnOnce(io::Error) -> CheckpointError + '_ {
        move |source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            CheckpointError::Truncated { expected, found } => {
                write!(f, "truncated: {found} bytes, expected {expected}")
            }
            CheckpointError::TrailingBytes { extra } => {
                write!(f, "{extra} unexpected bytes after the payload")
            }
            CheckpointError::BadMagic { found } => {
                write!(
                    f,
                    "not a checkpoint or saved optimizer state (wrong magic bytes {found:02x?})"
                )
            }
            CheckpointError::UnsupportedVersion { found, supported } => write!(
                f,
                "format version {found} is not supported (this build reads version {supported})"
            ),
            CheckpointError::ChecksumMismatch { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the file is damaged"
            ),
            CheckpointError::ScalarMismatch { found, expected } => write!(
                f,
                "the parameters were saved as {found}; this run trains in {expected}"
            ),
            CheckpointError::OptimizerMismatch { found, expected } => write!(
                f,
                "written by optimizer `{found}`, resumed with `{expected}`"
            ),
            CheckpointError::Decode(m) => write!(f, "payload does not decode: {m}"),
            CheckpointError::Encode(m) => write!(f, "cannot encode: {m}"),
            CheckpointError::Invalid(m) => write!(f, "inconsistent checkpoint: {m}"),
            CheckpointError::NonFiniteParameters { index, value } => write!(
                f,
                "refusing a checkpoint with non-finite parameters (parameter {index} is {value})"
            ),
            CheckpointError::NoValidCheckpoint { dir, skipped } => {
                write!(f, "no valid checkpoint in {}", dir.display())?;
                for s in skipped {
                    write!(f, "; skipped {}: {}", s.path.display(), s.error)?;
                }
                Ok(())
            }
            CheckpointError::WriterFailed { step } => write!(
                f,
                "the process that writes the checkpoints could not write step {step}'s \
                 (its error names the file); the run stops"
            ),
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckpointError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
