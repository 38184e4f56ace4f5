//! What a forecasting experiment produces: per optimizer its tuning, evaluation runs, medians, example predictions and equal-wall-time runs, and the ablation rows.

use dopamine_train::OptimizerKind;
use serde::{Deserialize, Serialize};

use super::data::ForecastScores;
use super::run::ForecastRun;
use crate::config::Precision;
use crate::experiments::tuning::Tuned;

/// An ablation row's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AblationResult {
    /// The row's label.
    pub label: String,
    /// The configuration run.
    pub hyperparameters: String,
    /// Forward-pass equivalents per step.
    pub passes_per_step: u64,
    /// Test one-step NRMSE of every evaluation seed.
    pub test: Vec<f64>,
    /// Their median.
    pub median_teacher_forced: f64,
}

/// One optimizer's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastResult {
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// The tuning outcome.
    pub tuned: Tuned,
    /// Every evaluation run.
    pub runs: Vec<ForecastRun>,
    /// Median test teacher-forced NRMSE over seeds.
    pub median_teacher_forced: f64,
    /// Median free-running NRMSE per horizon over seeds.
    pub median_free_running: Vec<(usize, f64)>,
    /// Teacher-forced predictions of seed 0 over the first test rows (for plots).
    pub example_teacher_forced: Vec<Vec<f64>>,
    /// Free-running forecast of seed 0 from the first origin (for plots).
    pub example_free_running: Vec<Vec<f64>>,
    /// The same chosen configuration at an equal wall-clock budget (when
    /// the config sets `seconds`).
    #[serde(default)]
    pub wall: Option<WallResult>,
}

/// One optimizer at an equal wall-clock budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WallResult {
    /// The budget in seconds.
    pub seconds: f64,
    /// Every evaluation run (one per core at a time).
    pub runs: Vec<ForecastRun>,
    /// Median test teacher-forced NRMSE over seeds.
    pub median_teacher_forced: f64,
    /// Median forward-pass equivalents a run got in that time.
    pub median_passes: f64,
}

/// The experiment's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastReport {
    /// Experiment name.
    pub name: String,
    /// The precision the networks trained in.
    #[serde(default = "Precision::before_the_field")]
    pub precision: Precision,
    /// Persistence on the same test rows and origins.
    pub persistence: ForecastScores,
    /// Per optimizer.
    pub results: Vec<ForecastResult>,
    /// Truth over the plotted window (first test rows).
    pub example_truth: Vec<Vec<f64>>,
    /// Truth from the first origin over the plotted free-running window.
    pub example_truth_free: Vec<Vec<f64>>,
    /// Model parameters.
    pub params: usize,
    /// Ablation rows.
    #[serde(default)]
    pub ablations: Vec<AblationResult>,
}
