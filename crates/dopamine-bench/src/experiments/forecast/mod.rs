//! E2 and E3: one-step forecasting of Mackey-Glass and Lorenz-63 with an Elman RNN, teacher-forced and free-running.
//!
//! The protocol's data, runs and tuning step are `dopamine-forecast`'s
//! (shared with the `dopamine` command line); its `data` and `run` modules
//! are named here, so this folder's files reach them as `super::data` and
//! `super::run`.

mod config;
mod experiment;
mod figures;
mod generate;
mod protocol;
mod report;
mod results;

use dopamine_forecast::{data, run};

pub use config::{Ablation, ForecastConfig, LORENZ_CONFIG, MACKEY_GLASS_CONFIG, System};
pub use dopamine_forecast::{
    ForecastData, ForecastRun, ForecastScores, RunBudget, TestPoint, cast, evaluate, persistence,
    run_one_with, steps_for_budget,
};
pub use experiment::{E2, E3, Forecast};
pub use generate::{forecast_data, run_in_precision, run_one};
pub use protocol::{run, run_count};
pub use report::{ForecastOptimizerSummary, ForecastSummary};
pub use results::{AblationResult, ForecastReport, ForecastResult, WallResult};
