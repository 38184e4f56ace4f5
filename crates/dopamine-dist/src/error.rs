//! The crate's error type.

use core::fmt;

/// What can go wrong in a distributed step.
#[derive(Debug, Clone, PartialEq)]
pub enum DistError {
    /// The optimizer refused a call (wrong length, non-finite parameters, ...).
    Core(dopamine_core::Error),
    /// The optimizer was in the middle of a step (an `ask` for a probe was
    /// pending) when a distributed step began; a distributed step must start
    /// at a step boundary.
    NotAtStepStart,
    /// The parameter slice does not have the length the stepper was built for.
    LengthMismatch {
        /// The stepper's length.
        expected: usize,
        /// The slice's length.
        got: usize,
    },
    /// The parameter hashes of the ranks differ: the replicas are no longer
    /// identical (a non-deterministic loss, or ranks built with different
    /// settings).
    RanksDiverged {
        /// The hash of each rank, in rank order.
        hashes: Vec<u64>,
    },
    /// MPI could not be initialised (it already was, or the launcher failed).
    MpiInit,
}

impl fmt::Display for DistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Core(e) => write!(f, "optimizer error: {e}"),
            Self::NotAtStepStart => write!(
                f,
                "a distributed step must start at a step boundary, but a probe was pending"
            ),
            Self::LengthMismatch { expected, got } => write!(
                f,
                "the stepper holds {expected} parameters but was given {got}"
            ),
            Self::RanksDiverged { hashes } => {
                write!(f, "parameters differ across ranks; hashes by rank:")?;
                for h in hashes {
                    write!(f, " {h:016x}")?;
                }
                Ok(())
            }
            Self::MpiInit => write!(f, "MPI could not be initialised"),
        }
    }
}

impl std::error::Error for DistError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Core(e) => Some(e),
            _ => None,
        }
    }
}

impl From<dopamine_core::Error> for DistError {
    fn from(e: dopamine_core::Error) -> Self {
        Self::Core(e)
    }
}
