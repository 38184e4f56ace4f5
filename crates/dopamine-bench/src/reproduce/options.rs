//! What `reproduce` is asked to do: the mode, the output folder, the configs, the command line, and whether to resume.

use std::path::PathBuf;

use crate::mode::Mode;

/// What to run and where to write.
#[derive(Debug, Clone)]
pub struct ReproduceOptions {
    /// Full or quick.
    pub mode: Mode,
    /// Output folder (created).
    pub out_dir: PathBuf,
    /// Folder with the experiments' config files (`xor.json`,
    /// `mackey_glass.json`, `lorenz.json`, `cost.json`) to use instead of the
    /// built-in configs.
    pub configs_dir: Option<PathBuf>,
    /// The command line, for the report.
    pub command: String,
    /// Reuse the results of experiments a previous run in `out_dir` finished
    /// (same mode, same config text; see [`crate::reproduce_state`]).
    pub resume: bool,
}
