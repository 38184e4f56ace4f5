//! `dopamine-bench`: reporting infrastructure for the Dopamine benchmarks (the harness is still to come).
//!
//! What exists now is the plumbing that the training harness and
//! `cargo xtask reproduce` will use to describe runs and write reports:
//!
//! - [`plot`]: line plots (with seed bands, linear or log axes) and grouped bar
//!   charts, written as SVG and PNG with an embedded font.
//! - [`progress`]: a progress bar that shows only when stderr is a terminal.
//! - [`machine`]: the CPU, memory, OS, rustc version and git revision, for reports.
//! - [`alloc_meter`]: a counting global allocator for measuring heap use
//!   (installed by a binary or test, never by this library).
//! - [`markdown`]: a Markdown table builder and a significant-digit formatter.
//! - [`stats`]: median, quantiles, mean, standard deviation, Wilson intervals and
//!   per-step bands across seeds.
//!
//! The training loop, experiment configs, report writer and checkpoints are not
//! written yet (see issue 5); they will be built on these modules.

pub mod alloc_meter;
pub mod machine;
pub mod markdown;
pub mod plot;
pub mod progress;
pub mod stats;
