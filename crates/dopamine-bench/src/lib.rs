//! `dopamine-bench`: the lab — the paper's experiments, their statistics, tables, figures and claims, and the performance benchmarks — built on `dopamine-train`.
//!
//! # Why this crate exists
//!
//! The claims about Dopamine (faster than weight perturbation, comparable to
//! gradient methods, cheaper per step) are measured here, reproducibly, by
//! `cargo xtask reproduce`; the speed targets are measured by
//! `cargo xtask bench`. Training itself — objectives, optimizers, the
//! trainer, checkpoints — is `dopamine-train`'s; this crate only configures
//! runs, repeats them over seeds and reports.
//!
//! # What it deliberately does not do
//!
//! It is not a library to train with (depend on `dopamine-train`), it is
//! not published, and it computes no metric that `dopamine-tasks` already
//! has (NRMSE, spreads, forecast pairs, persistence come from there).
//!
//! # The pieces
//!
//! * [`experiments`]: E1 XOR, E2 Mackey-Glass, E3 Lorenz-63, E4 cost, E5
//!   scaling with hidden size, each
//!   tuned fairly (same learning-rate grid size per optimizer, on held-out
//!   seeds or the validation split). Optimizers are named by
//!   [`dopamine_train::OptimizerKind`]. Each is an
//!   [`Experiment`](experiments::Experiment) of the one list
//!   [`EXPERIMENTS`](experiments::EXPERIMENTS).
//! * [`config`]: experiment configs, refused with the file and the field
//!   when a value cannot run or a field is unknown.
//! * [`claims`]: the verdicts of C1-C3, computed from the measurements the
//!   experiments give as [`Evidence`](claims::Evidence).
//! * Reporting: figures through `dopamine-plot` (SVG + PNG with an embedded font),
//!   [`progress`] (a bar only on terminals), [`machine`] (CPU, memory, git
//!   revision), [`markdown`] and [`stats`].
//! * [`reproduce`] is a loop over the experiments; [`reproduce_state`] saves
//!   each finished experiment so an interrupted run can `--resume`;
//!   [`output`] writes files and CSV tables.
//! * [`benchmarks`]: `cargo xtask bench` (B1, B2, B4-B9; B3, no allocation
//!   per step, is a test), one file per benchmark and one list of them.
//! * [`readme`]: README's results block, generated from a run's summary.
//!
//! # Example
//!
//! ```
//! use dopamine_bench::experiments::xor::run_one;
//! use dopamine_train::{Dopamine1Settings, OptimizerSpec};
//!
//! // One E1 run: XOR on a 2-4-1 MLP with Dopamine-1, seed 3.
//! let spec = OptimizerSpec::Dopamine1(Dopamine1Settings { sigma: 0.01, eta: 0.3, beta: 0.9, ..Default::default() });
//! let (run, _curve) = run_one::<f32>(4, &spec, 3, 5_000, None)?;
//! assert!(run.steps_to_solve.is_some());
//! # Ok::<(), dopamine_bench::BenchError>(())
//! ```

pub mod benchmarks;
pub mod claims;
pub mod config;
pub mod error;
pub mod experiments;
pub mod machine;
pub mod markdown;
pub mod mode;
pub mod output;
pub mod progress;
pub mod readme;
pub mod reproduce;
pub mod reproduce_state;
pub mod stats;

pub use error::BenchError;
pub use mode::{ByMode, Mode};
