//! [`CliError`]: what a command fails with, and the exit code it gives (2 for a usage error, 1 for a runtime error, 130 for a run stopped by Ctrl-C).

use std::fmt;

/// A failed command: its message (printed to stderr) and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// The command line asks for something that does not exist or does not
    /// fit: an unknown optimizer, setting or column, a bad `--split`
    /// (exit code 2, as clap's own usage errors).
    Usage(String),
    /// The command was well formed but could not be carried out: a missing
    /// or malformed file, a series too short, a failed run (exit code 1).
    Runtime(String),
    /// Ctrl-C stopped the run after its state was saved (exit code 130,
    /// as a shell gives a process stopped by SIGINT).
    Interrupted(String),
}

impl CliError {
    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::Usage(message.into())
    }

    /// A runtime error.
    pub fn runtime(message: impl Into<String>) -> Self {
        CliError::Runtime(message.into())
    }

    /// The process's exit code: 2 for a usage error, 1 for a runtime
    /// error, 130 for an interrupted run.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Runtime(_) => 1,
            CliError::Interrupted(_) => 130,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Runtime(m) | CliError::Interrupted(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CliError {}

/// An I/O error on `path`, naming it.
pub fn io_error(path: &std::path::Path, action: &str, e: &std::io::Error) -> CliError {
    CliError::runtime(format!("cannot {action} `{}`: {e}", path.display()))
}

/// A tuning grid's variant that does not fit its optimizer (the default
/// grids are tested, so this names a bug).
impl From<dopamine_train::tuning::VariantError> for CliError {
    fn from(e: dopamine_train::tuning::VariantError) -> Self {
        CliError::runtime(format!("tuning grid: {e}"))
    }
}
