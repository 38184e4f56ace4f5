//! The one error type of the kernel: invalid settings and misuse of the ask/tell protocol.

use core::fmt;

/// Everything that can go wrong when building or driving a rule or kernel.
///
/// Construction validates every setting, so a rule that exists is a rule that
/// can run; the remaining variants report misuse at run time (wrong buffer
/// length, `tell` without `ask`). None of them leaves the parameters changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// `sigma` (perturbation scale) must be finite and `> 0`.
    SigmaNotPositive,
    /// `eta` (learning rate) must be finite and `> 0`.
    EtaNotPositive,
    /// `beta` (running-average factor) must lie in `[0, 1)`.
    BetaOutOfRange,
    /// `lambda` (eligibility-trace decay) must lie in `[0, 1)`.
    LambdaOutOfRange,
    /// `eps` (variance floor) must be finite and `> 0`.
    EpsNotPositive,
    /// A setting that must be finite is NaN or infinite; the payload names it.
    NonFiniteSetting(&'static str),
    /// A setting is outside its documented range; the payload names it.
    InvalidSetting(&'static str),
    /// The number of probes per step must be at least 1.
    ZeroProbes,
    /// More probes per step than [`crate::MAX_PROBES`] were requested.
    TooManyProbes {
        /// What was asked for.
        requested: usize,
        /// The most a rule supports.
        max: usize,
    },
    /// A rule or kernel needs at least one parameter.
    EmptyParameters,
    /// A buffer has the wrong length.
    LengthMismatch {
        /// The length the rule was built for.
        expected: usize,
        /// The length it was given.
        got: usize,
    },
    /// The parameters handed to a rule already hold NaN or infinite values.
    NonFiniteParameters,
    /// A gradient handed to SGD or Adam holds NaN or infinite values; nothing was changed.
    NonFiniteGradient,
    /// `tell` was called without a matching `ask` first.
    TellWithoutAsk,
    /// `tell_all` was called without a matching `plan` first, or `plan` /
    /// `tell_all` was called in the middle of an ask/tell step.
    BatchOutOfOrder,
    /// A parameter layout has more blocks than [`crate::MAX_BLOCKS`].
    TooManyBlocks {
        /// Blocks given.
        requested: usize,
        /// The most a layout holds.
        max: usize,
    },
    /// A block of a parameter layout holds no parameter.
    EmptyBlock {
        /// Index of the block.
        index: usize,
    },
    /// The blocks of a layout do not add up to the number of parameters.
    LayoutMismatch {
        /// Parameters the blocks cover.
        layout: usize,
        /// Parameters of the optimizer.
        params: usize,
    },
    /// A point index beyond a step plan's points.
    PointOutOfRange {
        /// The index asked for.
        point: usize,
        /// Points in the plan.
        len: usize,
    },
    /// Low-rank noise needs a rank of at least 1.
    RankZero,
    /// The rank of low-rank noise exceeds `min(rows, cols)` of a matrix block
    /// (or [`crate::MAX_RANK`]).
    RankTooLarge {
        /// The offending matrix block (`None`: the rank exceeds `MAX_RANK`).
        block: Option<usize>,
        /// The rank asked for.
        rank: usize,
        /// The largest rank allowed there.
        max: usize,
    },
    /// Low-rank noise was asked for, but the layout has no matrix block.
    NoMatrixBlock,
    /// The parameters lie so close to the largest finite value that a
    /// perturbation of size `sigma` could overflow; nothing was changed.
    PerturbationOverflow,
    /// The rule cannot run with this [`crate::PerturbConfig`] (e.g. OpenES
    /// with forward RPE or with a baseline evaluation); the payload says
    /// what the rule needs.
    IncompatibleConfig(&'static str),
    /// Dopamine-3's step protocol was not followed (e.g. a step opened
    /// while an update is due); the payload says what was expected.
    NodeProtocol(&'static str),
    /// A population size outside `min..=max` (SNES).
    PopulationOutOfRange {
        /// What was asked for.
        requested: usize,
        /// The smallest supported size.
        min: usize,
        /// The largest supported size ([`crate::MAX_POPULATION`]).
        max: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::SigmaNotPositive => f.write_str("sigma must be finite and > 0"),
            Error::EtaNotPositive => f.write_str("eta (learning rate) must be finite and > 0"),
            Error::BetaOutOfRange => f.write_str("beta must lie in [0, 1)"),
            Error::LambdaOutOfRange => f.write_str("lambda must lie in [0, 1)"),
            Error::EpsNotPositive => f.write_str("eps must be finite and > 0"),
            Error::NonFiniteSetting(name) => write!(f, "setting `{name}` is NaN or infinite"),
            Error::InvalidSetting(what) => write!(f, "invalid setting: {what}"),
            Error::ZeroProbes => f.write_str("the number of probes per step must be at least 1"),
            Error::TooManyProbes { requested, max } => {
                write!(
                    f,
                    "{requested} probes per step requested, at most {max} supported"
                )
            }
            Error::EmptyParameters => f.write_str("the parameter vector is empty"),
            Error::LengthMismatch { expected, got } => {
                write!(f, "buffer has length {got}, expected {expected}")
            }
            Error::NonFiniteParameters => f.write_str("the parameters hold NaN or infinite values"),
            Error::NonFiniteGradient => {
                f.write_str("the gradient holds NaN or infinite values; parameters left unchanged")
            }
            Error::TellWithoutAsk => f.write_str("tell called without a matching ask"),
            Error::BatchOutOfOrder => f.write_str(
                "tell_all needs a matching plan first, and neither can be used in the middle of an ask/tell step",
            ),
            Error::TooManyBlocks { requested, max } => {
                write!(f, "a layout of {requested} blocks, at most {max} supported")
            }
            Error::EmptyBlock { index } => write!(f, "block {index} of the layout is empty"),
            Error::LayoutMismatch { layout, params } => write!(
                f,
                "the layout's blocks cover {layout} parameters, the optimizer has {params}"
            ),
            Error::PointOutOfRange { point, len } => {
                write!(f, "point {point} asked of a step plan with {len} points")
            }
            Error::RankZero => f.write_str("low-rank noise needs rank >= 1"),
            Error::RankTooLarge {
                block: Some(b),
                rank,
                max,
            } => write!(
                f,
                "rank {rank} exceeds min(rows, cols) = {max} of matrix block {b}"
            ),
            Error::RankTooLarge {
                block: None,
                rank,
                max,
            } => write!(f, "rank {rank} exceeds the largest supported rank {max}"),
            Error::NoMatrixBlock => {
                f.write_str("low-rank noise needs a layout with at least one matrix block")
            }
            Error::PerturbationOverflow => f.write_str(
                "the parameters are so close to the largest finite value that a perturbation of size sigma could overflow; nothing was changed",
            ),
            Error::IncompatibleConfig(needs) => {
                write!(f, "the rule cannot run with this config: {needs}")
            }
            Error::NodeProtocol(what) => write!(f, "Dopamine-3 protocol: {what}"),
            Error::PopulationOutOfRange {
                requested,
                min,
                max,
            } => write!(
                f,
                "a population of {requested} points, the supported range is {min}..={max}"
            ),
        }
    }
}

impl core::error::Error for Error {}

/// Checks that a buffer has the expected length.
pub(crate) fn check_len(expected: usize, got: usize) -> Result<(), Error> {
    if expected == got {
        Ok(())
    } else {
        Err(Error::LengthMismatch { expected, got })
    }
}
