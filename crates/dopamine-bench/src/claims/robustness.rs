//! Robustness to settings, reported beside C1: how much of a method's tuning grid is nearly as good as its best, and how much diverged.

use dopamine_train::OptimizerKind;
use serde::{Deserialize, Serialize};

use crate::experiments::tuning::Tuned;

/// Robustness to settings of one method on one experiment: how much of its
/// tuning grid is nearly as good as its best, and how much diverged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Robustness {
    /// Experiment.
    pub experiment: String,
    /// Method.
    pub optimizer: OptimizerKind,
    /// Cells in the grid.
    pub grid: usize,
    /// The grid's axes (`4 eta x 3 sigma x 2 variants`).
    #[serde(default)]
    pub shape: String,
    /// Best validation NRMSE of the grid (median over tuning seeds).
    pub best: f64,
    /// Fraction of the grid within 2x of the best.
    pub within_2x: f64,
    /// Cells whose runs diverged (no finite validation NRMSE).
    pub diverged: usize,
}

impl Robustness {
    /// The robustness of `optimizer`'s tuning grid `tuned` on `experiment`.
    pub fn of(experiment: &str, optimizer: OptimizerKind, tuned: &Tuned) -> Robustness {
        let (within_2x, diverged) = tuned.robustness(2.0);
        Robustness {
            experiment: experiment.to_string(),
            optimizer,
            grid: tuned.scores.len(),
            shape: tuned.shape(),
            best: tuned.best(),
            within_2x,
            diverged,
        }
    }
}
