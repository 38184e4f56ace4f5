//! The paper's experiments (E1 XOR, E2 Mackey-Glass, E3 Lorenz-63, E4 cost) and their shared tuning step.

pub mod cost;
pub mod forecast;
pub mod tuning;
pub mod xor;

use serde::{Deserialize, Serialize};

/// Full runs (the committed report) or quick runs (CI, a first look).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// The whole experiment as configured.
    Full,
    /// Fewer seeds, steps and sizes: minutes instead of tens of minutes.
    Quick,
}

/// A value that differs between full and quick mode.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
