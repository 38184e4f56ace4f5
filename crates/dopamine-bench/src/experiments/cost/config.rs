//! E4's settings (`configs/cost.json`) and their checks.

use serde::{Deserialize, Serialize};

pub use crate::config::Precision;
use crate::config::{ExperimentConfig, FieldError, positive};
use crate::mode::ByMode;

/// The built-in config of E4 (`crates/dopamine-bench/configs/cost.json`).
pub const CONFIG: &str = include_str!("../../../configs/cost.json");

/// Settings of E4, as in `configs/cost.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostConfig {
    /// Hidden sizes, at `fixed_seq_len`.
    pub hidden: ByMode<[usize; 4]>,
    /// Sequence lengths, at `fixed_hidden`.
    pub seq_len: ByMode<[usize; 3]>,
    /// H for the sweep over T.
    pub fixed_hidden: usize,
    /// T for the sweep over H.
    pub fixed_seq_len: usize,
    /// Timed steps per point (after one warm-up step).
    pub steps: ByMode<u64>,
    /// The precision of parameters and data (`f32` when absent).
    #[serde(default)]
    pub precision: Precision,
}

impl ExperimentConfig for CostConfig {
    fn check(&self) -> Result<(), FieldError> {
        for (field, sizes) in [
            ("hidden.full", &self.hidden.full[..]),
            ("hidden.quick", &self.hidden.quick[..]),
            ("seq_len.full", &self.seq_len.full[..]),
            ("seq_len.quick", &self.seq_len.quick[..]),
        ] {
            if let Some(i) = sizes.iter().position(|&n| n == 0) {
                return Err(FieldError::new(format!("{field}[{i}]"), "must be >= 1"));
            }
        }
        if self.fixed_hidden == 0 {
            return Err(FieldError::new("fixed_hidden", "must be >= 1"));
        }
        if self.fixed_seq_len == 0 {
            return Err(FieldError::new("fixed_seq_len", "must be >= 1"));
        }
        positive("steps", &self.steps)
    }
}
