//! The crate's one error type, [`TaskError`], and its `Result` alias.

use std::fmt;

/// Everything that can go wrong in this crate.
///
/// Functions never panic on user input (data, parameters, files); they return
/// one of these variants instead. Line numbers in the CSV variants are
/// 1-based, counting every physical line of the input (blank lines included),
/// so they match what an editor shows.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskError {
    /// A parameter is out of its valid range (non-positive step, `tau` not a
    /// multiple of `dt`, fractions that sum past 1, ...).
    InvalidParameter {
        /// The parameter's name as it appears in the API.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A value in a series is NaN or infinite.
    NonFinite {
        /// Row (time index) of the value.
        row: usize,
        /// Column (dimension) of the value.
        column: usize,
    },
    /// An operation needs at least one row (or more; see `needed`) and got fewer.
    TooShort {
        /// Rows needed.
        needed: usize,
        /// Rows available.
        found: usize,
    },
    /// Two series (or a series and a fitted transform) disagree on the
    /// number of dimensions.
    DimensionMismatch {
        /// Dimensions expected.
        expected: usize,
        /// Dimensions found.
        found: usize,
    },
    /// Two series that must be aligned row by row have different lengths.
    LengthMismatch {
        /// Rows expected.
        expected: usize,
        /// Rows found.
        found: usize,
    },
    /// A dimension has zero spread where a spread is needed (normalisation
    /// fitted on a constant column, NRMSE of a constant target).
    ZeroSpread {
        /// The constant dimension.
        dim: usize,
    },
    /// A generator's state became NaN or infinite (parameters too wild).
    Diverged {
        /// Simulated time at which it happened.
        time: f64,
    },
    /// The CSV input holds no data rows (empty, blank, or a header only).
    CsvEmpty,
    /// A CSV row has a different number of fields than the first row.
    CsvRaggedRow {
        /// 1-based line number.
        line: usize,
        /// Fields in the first row (header or data).
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// A CSV field is not a number.
    CsvNotANumber {
        /// 1-based line number.
        line: usize,
        /// 0-based column.
        column: usize,
        /// The offending field, trimmed.
        field: String,
    },
    /// A CSV field is a number but NaN or infinite.
    CsvNonFinite {
        /// 1-based line number.
        line: usize,
        /// 0-based column.
        column: usize,
        /// The offending field, trimmed.
        field: String,
    },
    /// A CSV column asked for is not in the file.
    CsvUnknownColumn {
        /// The column as asked for (a name, or a position counted from 1).
        column: String,
        /// Whether the file has a header (names can be asked for).
        has_header: bool,
        /// The file's columns: the header's names, or the positions 1..=n.
        available: Vec<String>,
    },
    /// Reading the input failed.
    Io {
        /// The path, or `"<reader>"` for a reader.
        source_name: String,
        /// The I/O error's message.
        message: String,
    },
}

/// `Result` with [`TaskError`].
pub type Result<T> = std::result::Result<T, TaskError>;

impl TaskError {
    pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        TaskError::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::InvalidParameter { name, reason } => {
                write!(f, "invalid parameter `{name}`: {reason}")
            }
            TaskError::NonFinite { row, column } => {
                write!(f, "non-finite value at row {row}, column {column}")
            }
            TaskError::TooShort { needed, found } => {
                write!(f, "series too short: needs {needed} rows, has {found}")
            }
            TaskError::DimensionMismatch { expected, found } => {
                write!(f, "dimension mismatch: expected {expected}, found {found}")
            }
            TaskError::LengthMismatch { expected, found } => {
                write!(
                    f,
                    "length mismatch: expected {expected} rows, found {found}"
                )
            }
            TaskError::ZeroSpread { dim } => {
                write!(f, "dimension {dim} is constant (zero spread)")
            }
            TaskError::Diverged { time } => {
                write!(f, "integration diverged (non-finite state) at time {time}")
            }
            TaskError::CsvEmpty => write!(f, "CSV input has no data rows"),
            TaskError::CsvRaggedRow {
                line,
                expected,
                found,
            } => write!(f, "line {line}: expected {expected} fields, found {found}"),
            TaskError::CsvNotANumber {
                line,
                column,
                field,
            } => write!(f, "line {line}, column {column}: `{field}` is not a number"),
            TaskError::CsvNonFinite {
                line,
                column,
                field,
            } => write!(f, "line {line}, column {column}: `{field}` is not finite"),
            TaskError::CsvUnknownColumn {
                column,
                has_header,
                available,
            } => {
                write!(f, "no column `{column}`: ")?;
                if *has_header {
                    write!(f, "the columns are {}", available.join(", "))
                } else {
                    write!(
                        f,
                        "the file has no header; name its columns by position, 1 to {}",
                        available.len()
                    )
                }
            }
            TaskError::Io {
                source_name,
                message,
            } => write!(f, "cannot read {source_name}: {message}"),
        }
    }
}

impl std::error::Error for TaskError {}
