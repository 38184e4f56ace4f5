//! The typed error every fallible model operation returns.

use core::fmt;

/// What went wrong when building a model or evaluating it on data.
///
/// Bad *inputs* (shapes, empty data, non-finite data, invalid configuration)
/// are reported here instead of panicking. A non-finite *parameter* is not an
/// error: the loss then simply comes back non-finite, which the optimizer's
/// safety net handles.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NetError {
    /// A model needs at least an input and an output size.
    TooFewLayers {
        /// Number of layer sizes given.
        got: usize,
    },
    /// A dimension that must be positive is zero.
    ZeroSize {
        /// Which dimension.
        what: &'static str,
    },
    /// A count or dimension does not match what the model expects.
    ShapeMismatch {
        /// Which quantity (e.g. "input columns").
        what: &'static str,
        /// The value the model expects.
        expected: usize,
        /// The value it got.
        got: usize,
    },
    /// A batch with no rows was given.
    EmptyBatch,
    /// A sequence with no time steps was given.
    EmptySequence,
    /// The washout would exclude every step of the sequence from the loss.
    WashoutTooLong {
        /// Steps excluded from the loss.
        washout: usize,
        /// Length of the sequence.
        len: usize,
    },
    /// An input or target value is NaN or infinite.
    NonFinite {
        /// Which matrix ("inputs", "targets", "context", "initial state").
        what: &'static str,
        /// Row of the offending value.
        row: usize,
        /// Column of the offending value.
        col: usize,
    },
    /// A binary cross-entropy target lies outside `[0, 1]`.
    TargetOutOfRange {
        /// Row of the offending value.
        row: usize,
        /// Column of the offending value.
        col: usize,
    },
    /// Binary cross-entropy needs a sigmoid output layer.
    LossNeedsSigmoidOutput,
    /// A step plan's parameter layout does not fit the model (its blocks
    /// must follow the model's parameter blocks, see `Rnn::param_layout`
    /// and `Mlp::param_layout`).
    PlanLayout {
        /// What does not fit.
        what: &'static str,
    },
    /// A workspace was built for a model of a different shape.
    WorkspaceMismatch {
        /// Which dimension differs.
        what: &'static str,
    },
    /// A request is larger than what the workspace was sized for.
    CapacityExceeded {
        /// Which capacity (e.g. "batch size").
        what: &'static str,
        /// What the workspace holds.
        capacity: usize,
        /// What was requested.
        requested: usize,
    },
    /// Free-running prediction feeds outputs back as inputs, so the two
    /// dimensions must be equal.
    FeedbackDimensions {
        /// Input dimension of the model.
        input_dim: usize,
        /// Output dimension of the model.
        output_dim: usize,
    },
    /// A configuration value is out of its valid range.
    InvalidConfig {
        /// Which value, and what is required of it.
        what: &'static str,
    },
    /// The eigenvalue solver used to measure a spectral radius failed.
    EigenSolverFailed,
    /// The Dopamine-3 rule driven by a lockstep pass refused a call (its
    /// layout or protocol; see [`dopamine_core::Error`]).
    Rule(dopamine_core::Error),
}

impl From<dopamine_core::Error> for NetError {
    fn from(e: dopamine_core::Error) -> Self {
        Self::Rule(e)
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooFewLayers { got } => {
                write!(f, "a model needs at least 2 layer sizes, got {got}")
            }
            Self::ZeroSize { what } => write!(f, "{what} must be positive"),
            Self::ShapeMismatch {
                what,
                expected,
                got,
            } => write!(f, "{what}: expected {expected}, got {got}"),
            Self::EmptyBatch => write!(f, "the batch has no rows"),
            Self::EmptySequence => write!(f, "the sequence has no time steps"),
            Self::WashoutTooLong { washout, len } => write!(
                f,
                "washout {washout} leaves no step of a sequence of length {len} in the loss"
            ),
            Self::NonFinite { what, row, col } => {
                write!(f, "{what} has a non-finite value at ({row}, {col})")
            }
            Self::TargetOutOfRange { row, col } => write!(
                f,
                "binary cross-entropy target at ({row}, {col}) is outside [0, 1]"
            ),
            Self::LossNeedsSigmoidOutput => {
                write!(f, "binary cross-entropy needs a sigmoid output layer")
            }
            Self::PlanLayout { what } => {
                write!(
                    f,
                    "the step plan's parameter layout does not fit the model: {what}"
                )
            }
            Self::WorkspaceMismatch { what } => {
                write!(
                    f,
                    "workspace was built for a different model ({what} differs)"
                )
            }
            Self::CapacityExceeded {
                what,
                capacity,
                requested,
            } => write!(
                f,
                "{what} {requested} exceeds the workspace capacity {capacity}"
            ),
            Self::FeedbackDimensions {
                input_dim,
                output_dim,
            } => write!(
                f,
                "free-running prediction needs input_dim == output_dim, got {input_dim} and {output_dim}"
            ),
            Self::InvalidConfig { what } => write!(f, "invalid configuration: {what}"),
            Self::EigenSolverFailed => write!(f, "the eigenvalue solver did not converge"),
            Self::Rule(e) => write!(f, "Dopamine-3: {e}"),
        }
    }
}

impl std::error::Error for NetError {}
