//! `dopamine-bench`: the training harness, the paper's experiments and their report.
//!
//! * [`objective`]: the [`Objective`] trait — a model and its data as the
//!   trainer sees it — with adapters for the MLP, the RNN and a plain loss
//!   function of a parameter slice.
//! * [`optimizer`]: [`OptimizerSpec`] (what a config file names: WP,
//!   Dopamine-1, Dopamine-2, SGD, Adam) and the running [`Optimizer`].
//! * [`checkpoint`]: [`Checkpoint`]s of a whole run (checked file format,
//!   atomic writes, rotation, newest-valid loading) that a [`Trainer`]
//!   writes and resumes from bit for bit.
//! * [`trainer`]: [`train`] and the resumable [`Trainer`], with budgets in steps, forward-pass equivalents
//!   or seconds, a target loss, observers, and per-step records (loss,
//!   effective learning rate, RPE statistics, passes, FLOPs, wall time).
//! * [`experiments`]: E1 XOR, E2 Mackey-Glass, E3 Lorenz-63, E4 cost, each
//!   tuned fairly (same learning-rate grid size per optimizer, on held-out
//!   seeds or the validation split).
//! * Reporting: [`plot`] (SVG + PNG figures with an embedded font),
//!   [`progress`] (a bar only on terminals), [`machine`] (CPU, memory, git
//!   revision), [`alloc_meter`] (a counting global allocator a binary can
//!   install to measure peak heap), [`markdown`] and [`stats`].
//! * [`reproduce`] runs everything; [`reproduce_state`] saves each finished
//!   experiment so an interrupted run can `--resume`.
//!
//! # Example
//!
//! ```
//! use dopamine_bench::{train, Budget, FnObjective, NoObserver, Optimizer, OptimizerSpec, PerturbSpec, TrainSpec};
//!
//! // A user's own model, given only as a loss of its parameters.
//! let mut objective = FnObjective::new(vec![2.0, -1.0], |w: &[f64]| w.iter().map(|x| x * x).sum(), 4);
//! let spec = OptimizerSpec::Dopamine1 {
//!     perturb: PerturbSpec { sigma: 1e-3, eta: 0.05, probes: 1, antithetic: false, cosine_to: Some(0.01) },
//!     beta: 0.9,
//! };
//! let mut optimizer = Optimizer::new(spec, 2, 7, 500)?;
//! let run = train(&mut objective, &mut optimizer, &TrainSpec { budget: Budget::steps(500), ..Default::default() }, &mut NoObserver)?;
//! assert!(run.last.loss < 1e-2);
//! assert_eq!(run.last.forward_passes, 1000); // baseline + one probe per step
//! # Ok::<(), dopamine_bench::TrainError>(())
//! ```

pub mod alloc_meter;
pub mod benchmarks;
pub mod checkpoint;
pub mod claims;
pub mod error;
pub mod experiments;
pub mod machine;
pub mod markdown;
pub mod objective;
pub mod optimizer;
pub mod parallel_probes;
pub mod plot;
pub mod progress;
pub mod reproduce;
pub mod reproduce_state;
pub mod stats;
pub mod trainer;

pub use checkpoint::{
    Checkpoint, CheckpointError, CheckpointPolicy, LoadedCheckpoint, load_latest,
};
pub use error::TrainError;
pub use objective::{FnObjective, MlpObjective, Objective, PassCost, RnnObjective};
pub use optimizer::{Optimizer, OptimizerSpec, PerturbSpec, StepInfo};
pub use trainer::{
    Budget, Control, NoObserver, Observer, Record, RunResult, StopReason, TrainSpec, TrainState,
    Trainer, train,
};
