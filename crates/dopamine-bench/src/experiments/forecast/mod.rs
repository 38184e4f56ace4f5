//! E2 and E3: one-step forecasting of Mackey-Glass and Lorenz-63 with an Elman RNN, teacher-forced and free-running.

mod config;
mod data;
mod experiment;
mod figures;
mod protocol;
mod report;
mod results;
mod run;

pub use config::{Ablation, ForecastConfig, LORENZ_CONFIG, MACKEY_GLASS_CONFIG, System};
pub use data::{ForecastData, ForecastScores, cast, evaluate, persistence};
pub use experiment::{E2, E3, Forecast};
pub use protocol::{run, run_count};
pub use report::{ForecastOptimizerSummary, ForecastSummary};
pub use results::{AblationResult, ForecastReport, ForecastResult, WallResult};
pub use run::{
    ForecastRun, RunBudget, TestPoint, run_in_precision, run_one, run_one_with, steps_for_budget,
};
