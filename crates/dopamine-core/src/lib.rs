//! `dopamine-core`: the `no_std`, allocation-free kernel of the Dopamine optimizer.
//!
//! Dopamine trains a model with forward passes only. Each step nudges every
//! weight along a random direction `z`, measures how much the loss changed —
//! the reward prediction error (RPE) `delta = L(w) - L(w + sigma z)` — and
//! moves along `z` in proportion. Dopamine-1 codes that RPE relative to the
//! RPEs it has come to expect, as dopamine neurons do, which sets the learning
//! rate; Dopamine-2 adds a per-synapse eligibility trace. The formulas are in
//! `docs/algorithm.md`; they are this project's formulation of the idea in the
//! paper's abstract.
//!
//! # Design
//!
//! * **No heap, no `std`.** The rules work on a caller's `&mut [T]` and a loss
//!   value through an ask/tell state machine ([`PerturbationOptimizer`]), so
//!   any model in any host — a microcontroller included — can be trained. The
//!   optimizer's own memory is about a kilobyte (fixed arrays of
//!   [`MAX_PROBES`] values and the parameter layout, whatever the model's
//!   size); Dopamine-2's trace lives in a buffer the caller provides.
//! * **Noise is regenerated, never stored.** [`NoiseStream`] element `i` is a
//!   pure function of `(seed, step, probe, i)`, so perturb, restore, update and
//!   undo all regenerate the same values, in any chunking, on any thread.
//! * **Nothing diverges silently.** Settings are validated at construction
//!   ([`Error`]); a non-finite loss puts the parameters back where the step
//!   began and is reported through the `#[must_use]` [`Told`].
//! * **One point at a time, or the whole step at once.** Ask/tell suits a
//!   host that evaluates one point at a time in place (a microcontroller).
//!   The batch API ([`PerturbationOptimizer::plan`], [`StepPlan`],
//!   [`PerturbationOptimizer::tell_all`]) announces every evaluation point
//!   of a step up front, lets the host build or evaluate them anywhere (threads,
//!   ranks, one population sweep of a model) and takes all the losses at
//!   once; given the same losses it leaves the same parameters, bit for bit.
//! * **Structured noise.** Given a [`ParamLayout`], probes can perturb each
//!   weight matrix by a low-rank product `A B^T / sqrt(r)`
//!   ([`NoiseStructure::LowRank`]) regenerated from its key, so a model can
//!   evaluate a whole population with shared weight matrices.
//! * **Rules are pluggable.** WP, Dopamine-1, Dopamine-2 and OpenES
//!   implement [`UpdateRule`]; the probing machinery is shared, and a rule
//!   sees the step's RPEs and probe losses. Dopamine-1/2 take an optional
//!   per-synapse second-moment normalisation of their coded update
//!   ([`SecondMomentConfig`], storage provided by the caller), and
//!   [`PerturbConfig::antithetic`] is the preset for antithetic steps of
//!   exactly `2K` evaluations.
//! * **Evolution-strategy peers.** [`OpenEs`] (Salimans et al. 2017: centred
//!   ranks over the `2K` antithetic losses, Adam on the search gradient) is
//!   a rule of the same optimizer; [`Snes`] (Schaul et al. 2011: one `sigma`
//!   per parameter) is its own type with the same batch shape. Both, and
//!   every rule, are driven through one allocation-free interface,
//!   [`PopulationOptimizer`] (`plan` → [`Population`] → `tell_all`;
//!   [`step_population`]). Their fitness shaping is in [`shaping`].
//! * **Node perturbation.** [`Dopamine3`] perturbs neurons instead of
//!   weights: two copies of a network run in lockstep with neuron noise,
//!   a per-step dopamine signal gates per-synapse eligibility traces, and
//!   the weights move every `C` steps or once per sweep ([`node`]). It
//!   needs the model's neurons (`dopamine-nets` drives it for its RNN and
//!   MLP) and learns from a stream with `O(P)` memory.
//! * **Baselines.** [`Sgd`] (with momentum) and [`Adam`] kernels over slices
//!   with caller-provided state, for the gradient-based comparisons.
//!
//! # Example
//!
//! Train the parameters of any loss function — here a shifted quadratic —
//! with Dopamine-1, one ask/tell exchange at a time:
//!
//! ```
//! use dopamine_core::{Dopamine1, Dopamine1Rule, EtaSchedule, PerturbConfig, Told};
//!
//! let target = [1.0f32, -2.0, 0.5];
//! let loss = |w: &[f32]| w.iter().zip(&target).map(|(a, b)| (a - b) * (a - b)).sum::<f32>();
//!
//! let mut w = [0.0f32; 3];
//! // 2,000 ask/tell exchanges are 1,000 steps (a baseline and one probe each).
//! // Dopamine's step has a typical size of `eta * |z|` whatever the gradient,
//! // so a decaying schedule is what lets it settle precisely.
//! let schedule = EtaSchedule::Cosine { total_steps: 1_000, final_fraction: 0.0 };
//! let config = PerturbConfig { sigma: 1e-2, eta: 0.05, seed: 42, schedule, ..Default::default() };
//! let mut opt = Dopamine1::new(config, Dopamine1Rule::default(), w.len())?;
//! for _ in 0..2_000 {
//!     // One step is two exchanges here: the baseline, then one probe.
//!     opt.ask(&mut w)?;            // parameters now sit where the loss is wanted
//!     let l = loss(&w);            // the caller evaluates its model
//!     match opt.tell(&mut w, l)? { // restore, update or undo, as the rule says
//!         Told::Rejected(why) => panic!("step rejected: {why:?}"),
//!         _ => {}
//!     }
//! }
//! assert!(loss(&w) < 1e-3);
//! # Ok::<(), dopamine_core::Error>(())
//! ```
#![no_std]
#![warn(missing_docs)]

pub mod baseline;
pub mod batch;
pub mod config;
pub mod error;
pub mod layout;
pub mod node;
pub mod noise;
pub mod optimizer;
pub mod perturb;
pub mod population;
pub mod query;
pub mod real;
pub mod report;
pub mod rule;
pub mod rules;
pub mod schedule;
pub mod shaping;
pub mod snes;
pub mod step_noise;

pub use baseline::adam::{Adam, AdamConfig};
pub use baseline::sgd::{Sgd, SgdConfig};
pub use batch::StepPlan;
pub use config::{BaselinePolicy, MAX_PROBES, MAX_RANK, NoiseStructure, PerturbConfig, RpeMode};
pub use error::Error;
pub use layout::{Block, MAX_BLOCKS, ParamLayout};
pub use node::{
    Accumulation, Dopamine3, Dopamine3Config, MAX_NODE_LAYERS, NodeCounters, NodeLayer, NodeLayout,
    NodeUpdate, NoiseMode, Recorded, Signal, StepBuffers, UpdateEvery, UpdateRejection,
};
pub use noise::{NoiseKey, NoiseKind, NoiseStream};
pub use optimizer::{Dopamine1, Dopamine2, OpenEs, PerturbationOptimizer, Wp};
pub use population::{Plan, Population, PopulationOptimizer, step_population};
pub use query::{Query, Side};
pub use real::Real;
pub use report::{CodingReport, Counters, Rejection, RpeReport, StepOutcome, StepReport, Told};
pub use rule::{RuleSignal, StepNoise, UpdateContext, UpdateRule};
pub use rules::dopamine1::Dopamine1Rule;
pub use rules::dopamine2::Dopamine2Rule;
pub use rules::open_es::{OpenEsConfig, OpenEsRule};
pub use rules::rpe_stats::{AdaptiveCoding, RpeStats};
pub use rules::second_moment::{NoMoment, SecondMoment, SecondMomentConfig};
pub use rules::wp::{WpConfig, WpRule};
pub use schedule::EtaSchedule;
pub use snes::{MAX_POPULATION, Snes, SnesConfig, SnesPlan};
