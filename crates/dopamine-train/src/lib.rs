//! `dopamine-train`: train a model with the Dopamine optimizers — objectives, an open optimizer trait, a resumable trainer, checkpoints.
//!
//! # Why this crate exists
//!
//! `dopamine-core` is a kernel: an ask/tell state machine over a parameter
//! slice, with no heap. Training a real model needs more around it — a loop
//! with budgets, records of what each step cost, observers that stop a run
//! when the task is solved, checkpoints that survive a killed process and
//! resume bit for bit, and the same loop for the gradient baselines. This
//! crate is that loop, and nothing else: it is what a program depends on to
//! "train my RNN with Dopamine, with checkpoints".
//!
//! # What it deliberately does not do
//!
//! No plotting, no terminal output, no experiments, no statistics, no
//! configuration files of its own: those live in `dopamine-bench`, the lab,
//! which is built on this crate (the grids of [`tuning`] are data a caller
//! reads). No data generation or loading either
//! (`dopamine-tasks` does that; objectives take matrices). It never spawns
//! threads unless you build a [`ProbePool`].
//!
//! # The pieces
//!
//! * [`Objective`] (in [`objective`]): parameters, a loss at them or at any
//!   parameter slice, a whole step's points at once, optionally a gradient.
//!   [`FnObjective`], [`MlpObjective`] and [`RnnObjective`] in [`objectives`].
//! * [`Optimizer`] (in [`optimizer`]): an open trait. The perturbation rules
//!   are `dopamine-core`'s `PerturbationOptimizer` with any rule that
//!   implements [`NamedRule`] — a rule of your own included, and OpenES;
//!   SNES is [`SnesOptimizer`]; the gradient
//!   methods are [`GradientDescent`] over SGD or Adam ([`OnlineGradient`]
//!   with an update every `C` time steps of a sequence); Dopamine-3, which
//!   perturbs the model's neurons, is [`Dopamine3Optimizer`] on an
//!   objective's [`NodeModel`]. An optimizer whose
//!   steps are a population of points (`dopamine-core`'s
//!   `PopulationOptimizer`, from [`Optimizer::population`]: the rules,
//!   OpenES, SNES) lets the objective evaluate them in one sweep and a
//!   [`ProbePool`] on threads.
//! * [`OptimizerSpec`] (in [`registry`]): the built-in optimizers as a
//!   config file names them (WP, Dopamine-1/2/3, OpenES, SNES, SGD, Adam),
//!   one file and one [`OptimizerEntry`] each, with [`SpecOptions`] (low
//!   rank, no baseline, second moment), turned into an [`Optimizer`] once.
//! * [`Trainer`] and [`train`] (in [`trainer`]): budgets in steps, forward
//!   passes or seconds ([`Budget`]), a target loss, [`Observer`]s, per-step
//!   [`Record`]s.
//! * [`Checkpoint`] (in [`checkpoint`], files in [`store`]): versioned,
//!   checked, written atomically, loaded newest-valid-first; the parameters'
//!   type is recorded, so an `f64` checkpoint never loads into an `f32` run.
//!   A checkpoint that cannot be written (full disk, read-only folder) is
//!   reported and, as the policy says ([`OnWriteFailure`]), the run goes on
//!   or stops; earlier checkpoints are never touched by a failed write.
//! * [`tuning`]: fair tuning — a grid of the same size for every optimizer
//!   ([`tuning::Candidate`]), tried in parallel, the pick and every cell's
//!   score kept ([`tuning::Tuned`]); the lab and the `dopamine` command line
//!   tune through it.
//! * [`Replicas`] (in [`replicas`]): a run spread over processes that share
//!   each step's evaluations (`dopamine-dist`, over MPI) runs the same
//!   trainer; [`SingleProcess`] is the run in one.
//!
//! Everything is generic over the parameters' type `T` ([`Float`]: `f32` or
//! `f64`); records keep losses as `f64` for reporting.
//!
//! # Example
//!
//! ```
//! use dopamine_train::{train, Budget, Dopamine1Settings, FnObjective, NoObserver, OptimizerSpec, TrainSpec};
//!
//! // A user's own model, given only as a loss of its parameters (here f32).
//! let mut objective = FnObjective::new(vec![2.0f32, -1.0], |w: &[f32]| w.iter().map(|x| x * x).sum(), 4);
//! let spec = OptimizerSpec::Dopamine1(Dopamine1Settings {
//!     sigma: 1e-3, eta: 0.05, cosine_to: Some(0.01), beta: 0.9, ..Default::default()
//! });
//! let mut optimizer = spec.build::<f32>(2, 7, 500)?;
//! let run = train(&mut objective, optimizer.as_mut(), &TrainSpec { budget: Budget::steps(500), ..Default::default() }, &mut NoObserver)?;
//! assert!(run.last.loss < 1e-2);
//! assert_eq!(run.last.forward_passes, 1000); // baseline + one probe per step
//! # Ok::<(), dopamine_train::TrainError>(())
//! ```

pub mod checkpoint;
pub mod error;
pub mod float;
pub mod node_model;
pub mod objective;
pub mod objectives;
pub mod observer;
pub mod optimizer;
pub mod optimizers;
pub mod probe_pool;
pub mod record;
pub mod registry;
pub mod replicas;
pub mod sequence;
pub mod state;
pub mod store;
pub mod trainer;
pub mod tuning;

pub use checkpoint::Checkpoint;
pub use error::{CheckpointError, SkippedCheckpoint, SpecError, TrainError};
pub use float::Float;
pub use node_model::{NodeModel, NodePart, NodeRule, NodeStream};
pub use objective::{Objective, PassCost, PlanScratch};
pub use objectives::{FnObjective, MlpObjective, RnnObjective};
pub use observer::{Control, NoObserver, Observer};
pub use optimizer::{Optimizer, PopulationScratch, StepInfo, population_step, step_preferred};
pub use optimizers::{
    AdamOptimizer, Dopamine3Optimizer, GradientDescent, GradientRule, NamedRule, OnlineGradient,
    SgdOptimizer, SnesOptimizer,
};
pub use probe_pool::ProbePool;
pub use record::{Budget, CheckpointFailure, Record, RunResult, StopReason, TrainSpec, TrainState};
pub use registry::{
    AdamSettings, Copies, Dopamine1Settings, Dopamine2Settings, Dopamine3Settings, NodeSignal,
    Noise, OpenEsSettings, OptimizerEntry, OptimizerKind, OptimizerSpec, PerturbSpec, SgdSettings,
    SnesSettings, SpecOptions, WpSettings,
};
pub use replicas::{Replicas, SingleProcess};
pub use sequence::{SequenceBlock, SequenceStream};
pub use state::{decode_state, encode_state};
pub use store::{CheckpointPolicy, LoadedCheckpoint, OnWriteFailure, load_latest};
pub use trainer::{Trainer, train};

/// The README's code example, compiled and run as a doctest of this crate
/// (the tidy tests rely on it).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// The code of `docs/resuming.md`, run as a doctest of this crate.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/resuming.md")]
pub struct ResumingDoctests;
