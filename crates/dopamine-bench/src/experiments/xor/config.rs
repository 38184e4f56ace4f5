//! E1's settings (`configs/xor.json`) and their checks.

use serde::{Deserialize, Serialize};

use crate::config::{ExperimentConfig, FieldError, Precision, positive, tuning_grid};
use crate::experiments::tuning::Candidate;
use crate::mode::ByMode;

/// The built-in config of E1 (`crates/dopamine-bench/configs/xor.json`).
pub const CONFIG: &str = include_str!("../../../configs/xor.json");

/// Settings of E1, as in `configs/xor.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XorConfig {
    /// Hidden sizes to run (the paper's 2 and 4).
    pub hidden: Vec<usize>,
    /// The precision of the network, its data and its training (`f32`
    /// when absent).
    #[serde(default)]
    pub precision: Precision,
    /// Evaluation seeds `0..seeds`.
    pub seeds: ByMode<u64>,
    /// Tuning seeds, disjoint from the evaluation seeds (`10_000..`).
    pub tuning_seeds: ByMode<u64>,
    /// Budget of each run, in steps of a method that takes two forward-pass
    /// equivalents per step (WP or Dopamine with one probe, SGD, Adam): every
    /// method gets `2 * steps` forward-pass equivalents, so a method with
    /// `p` passes per step runs `2 * steps / p` steps.
    pub steps: ByMode<u64>,
    /// The optimizers and their learning-rate grids.
    pub optimizers: Vec<Candidate>,
}

impl ExperimentConfig for XorConfig {
    fn check(&self) -> Result<(), FieldError> {
        if self.hidden.is_empty() {
            return Err(FieldError::new("hidden", "lists no hidden size"));
        }
        if let Some(i) = self.hidden.iter().position(|&h| h == 0) {
            return Err(FieldError::new(format!("hidden[{i}]"), "must be >= 1"));
        }
        positive("seeds", &self.seeds)?;
        positive("tuning_seeds", &self.tuning_seeds)?;
        positive("steps", &self.steps)?;
        tuning_grid(&self.optimizers)
    }
}
