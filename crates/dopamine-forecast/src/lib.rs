//! `dopamine-forecast`: the one-step forecasting protocol of the Dopamine lab, on any series.
//!
//! # Why this crate exists
//!
//! The lab (`dopamine-bench`, experiments E2 and E3) and the `dopamine`
//! command line (`dopamine fit`, `dopamine compare`) run the same protocol:
//! a series split in time order, z-scored with the training part's
//! statistics, an Elman RNN trained one step ahead (teacher-forced) on the
//! training part's pairs, every method tuned on the validation part over a
//! grid of the same size, scored on the test part by NRMSE, with
//! persistence (next value = last value) as the floor. This crate is that
//! protocol, written once; the lab adds its experiments, claims and
//! reports, the command line its files and terminal.
//!
//! It sits above `dopamine-train` (training, the optimizer registry, fair
//! tuning in [`dopamine_train::tuning`]) and `dopamine-tasks` (series,
//! splits, normalisation, metrics), which do not know each other.
//!
//! # The pieces
//!
//! * [`ForecastData`] (in [`data`]): the split and the z-score;
//!   [`evaluate`], [`predict_rows`] and [`persistence`] score on it.
//! * [`objective`] and [`run_one_with`] (in [`run`]): the RNN objective of
//!   a seed, and one run trained for a budget of passes or seconds and
//!   scored ([`ForecastRun`]).
//! * [`tune_on_validation`] and [`median_nan_worst`] (in [`protocol`]): the
//!   tuning step, every cell the median validation NRMSE over the tuning
//!   seeds.
//! * [`RunSettings`], [`ForecastSettings`] and [`Defaults`] (in
//!   [`settings`]): what a run reads, and the default protocol with its
//!   grids (`defaults.json`: the lab's E2 settings).
//!
//! # Example
//!
//! ```
//! use dopamine_forecast::{Defaults, ForecastData, RunBudget, persistence, run_one_with};
//! use dopamine_tasks::MackeyGlassConfig;
//! use dopamine_train::{OptimizerKind, SpecOptions};
//!
//! let defaults = Defaults::builtin();
//! let settings = defaults.settings();
//! let raw = MackeyGlassConfig::default().generate(400)?;
//! let data = ForecastData::new(&raw, settings.train_fraction, settings.validation_fraction)?;
//! // Adam at the base of its default grid, 600 forward-pass equivalents.
//! let grid = defaults.grid(OptimizerKind::Adam).expect("Adam has a default grid");
//! let (run, _net) = run_one_with::<f32, _>(
//!     &settings, &data, &grid.base, &SpecOptions::default(), 0, RunBudget::Passes(600), false,
//! )?;
//! let floor = persistence(&data, &[], &[])?.teacher_forced;
//! assert!(run.test.teacher_forced.is_finite() && floor > 0.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod data;
pub mod error;
pub mod protocol;
pub mod run;
pub mod settings;

pub use data::{
    ForecastData, ForecastScores, cast, evaluate, persistence, predict_rows, predict_series,
};
pub use error::ForecastError;
pub use protocol::{median_nan_worst, tune_on_validation};
pub use run::{
    ForecastRun, RunBudget, TestPoint, network, objective, run_one_observed, run_one_with,
    run_setup, score, steps_for_budget,
};
pub use settings::{DEFAULTS_JSON, Defaults, ForecastSettings, RunSettings};
