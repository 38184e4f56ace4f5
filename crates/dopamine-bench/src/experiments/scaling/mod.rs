//! E5: scaling with hidden size on Mackey-Glass: the cosine of one update's estimate with the BPTT gradient (Dopamine-1, Dopamine-3, OpenES) and test NRMSE at equal passes, at H = 16, 64, 256.

mod alignment;
mod config;
mod experiment;
mod report;
mod run;

pub use alignment::{Estimator, Sequence, cosine, cosines};
pub use config::{AlignmentConfig, SCALING_CONFIG, ScalingConfig};
pub use experiment::{E5, Scaling};
pub use report::ScalingSummary;
pub use run::{AlignmentRow, Point, ScalingForecast, ScalingResults, mid_passes, run, run_count};
