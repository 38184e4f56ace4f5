//! [`Mode`] (full or quick runs) and [`ByMode`] (a value per mode), shared by the experiments, the benchmarks and their configs.

use serde::{Deserialize, Serialize};

/// Full runs (the committed report) or quick runs (CI, a first look).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// The whole experiment as configured.
    Full,
    /// Fewer seeds, steps and sizes: minutes instead of tens of minutes.
    Quick,
}

impl Mode {
    /// `full` or `quick`, as the reports write it.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Quick => "quick",
        }
    }
}

/// A value that differs between full and quick mode.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByMode<T> {
    /// In full mode.
    pub full: T,
    /// In quick mode.
    pub quick: T,
}

impl<T: Copy> ByMode<T> {
    /// The value for `mode`.
    pub fn get(&self, mode: Mode) -> T {
        match mode {
            Mode::Full => self.full,
            Mode::Quick => self.quick,
        }
    }
}
