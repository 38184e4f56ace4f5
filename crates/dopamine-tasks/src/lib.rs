//! `dopamine-tasks`: the data the experiments run on, and the metrics that
//! score them.
//!
//! - Pattern sets: [`xor()`] and n-bit [`parity()`] ([`PatternSet`]).
//! - Chaotic series: [`MackeyGlassConfig`] and [`LorenzConfig`] (RK4, fixed
//!   step, transient dropped, subsampled), or the streaming [`MackeyGlass`]
//!   and [`Lorenz`] integrators.
//! - Your own data: [`load_csv`], [`read_csv`], [`parse_csv`].
//! - Series tools: [`Series`], time-ordered splits ([`split_by_fractions`],
//!   [`split_by_counts`]), [`Normalizer`] fitted on the training part only,
//!   k-step-ahead pairs ([`ahead_pairs`]) and the persistence baseline
//!   ([`persistence_nrmse`]).
//! - Metrics: [`mse`], [`rmse`], [`nrmse`] (per dimension and averaged; see
//!   [`metrics`] for the exact definitions) and [`valid_prediction_time`].
//!
//! # Design
//!
//! Everything is plain `f64` data in one row-major [`Series`] type, so the
//! crate depends on none of the model crates (models convert at their
//! boundary). Generated data is a pure function of its configuration (and
//! seed, for a random history), so experiments are reproducible. Nothing
//! here panics on user input: bad data, files and parameters come back as a
//! [`TaskError`] naming the problem. Splits are time-ordered and
//! normalisation is fitted on training data only, so no future information
//! leaks into training.
//!
//! # Example
//!
//! ```
//! use dopamine_tasks::{
//!     MackeyGlassConfig, NormalizationMethod, nrmse, one_step_pairs, persistence_nrmse,
//!     split_by_fractions,
//! };
//!
//! # fn main() -> Result<(), dopamine_tasks::TaskError> {
//! // 2000 samples of the classic tau = 17 series, one per time unit.
//! let series = MackeyGlassConfig::default().generate(2000)?;
//! let split = split_by_fractions(&series, 0.6, 0.2)?;
//! let (scaled, normalizer) = split.normalized(NormalizationMethod::ZScore)?;
//!
//! // One-step-ahead pairs on the test part; a model would map inputs to targets.
//! let pairs = one_step_pairs(&scaled.test)?;
//! let prediction = normalizer.inverse(&pairs.inputs)?; // stand-in for a model
//! let target = normalizer.inverse(&pairs.targets)?;
//!
//! // Predicting "no change" is the persistence baseline: NRMSE about 0.14.
//! let baseline = nrmse(&prediction, &target)?;
//! assert!((baseline - persistence_nrmse(&split.test, 1)?).abs() < 1e-9);
//! assert!(baseline > 0.1 && baseline < 0.2);
//! # Ok(())
//! # }
//! ```

pub mod csv;
pub mod error;
pub mod lorenz;
pub mod mackey_glass;
pub mod metrics;
pub mod normalize;
pub mod pairs;
pub mod persistence;
pub mod series;
pub mod split;
mod steps;
pub mod xor;

pub use self::csv::{
    ColumnRef, CsvTable, HeaderMode, load_csv, load_csv_columns, parse_csv, parse_csv_columns,
    read_csv,
};
pub use error::{Result, TaskError};
pub use lorenz::{Lorenz, LorenzConfig};
pub use mackey_glass::{HistoryInit, MackeyGlass, MackeyGlassConfig};
pub use metrics::{
    mse, mse_per_dim, nrmse, nrmse_per_dim, nrmse_scaled, rmse, valid_prediction_time,
};
pub use normalize::{NormalizationMethod, Normalizer};
pub use pairs::{ForecastPairs, ahead_pairs, one_step_pairs};
pub use persistence::{
    first_horizon_where_persistence_exceeds, persistence_forecast, persistence_nrmse,
};
pub use series::Series;
pub use split::{Split, split_by_counts, split_by_fractions};
pub use xor::{MAX_PARITY_BITS, PatternSet, parity, xor};
