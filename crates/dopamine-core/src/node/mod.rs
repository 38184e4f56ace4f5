//! Dopamine-3: node perturbation with a dopamine signal at every time step, credited to synapses through eligibility traces.
//!
//! Weight perturbation asks one question per pass (was this random
//! direction in `P`-dimensional weight space good?). Dopamine-3 perturbs
//! *neurons* instead and asks at every time step:
//!
//! * Two copies of a network run in lockstep at the same weights. Every
//!   neuron's pre-activation (hidden units and outputs) gets noise
//!   `xi_i(t) ~ N(0, sigma^2)` at every step: `+xi` in copy A, `-xi` or
//!   nothing in copy B ([`NoiseMode`]). The noise is regenerated from its
//!   key (seed, update interval, step, neuron: [`noise`]), never stored
//!   beyond the current block.
//! * The per-step losses of the copies give a per-step RPE `delta(t)`
//!   (positive when the noise helped), optionally coded against its
//!   running statistics ([`Signal`]).
//! * Every synapse `(i, j)` keeps an eligibility trace
//!   `e_ij(t) = lambda e_ij(t-1) + xi_i(t) x_j(t)` of its neuron's noise
//!   times its presynaptic activity.
//! * Every `C` steps (or once per sweep, [`UpdateEvery`]) the weights move
//!   along `g = sum_t D(t) e(t) / sigma^2`, an estimate of minus the
//!   gradient of the summed per-step losses, normalised per synapse by a
//!   running second moment by default.
//!
//! The arithmetic is either streamed one sample at a time with `O(P)`
//! memory or folded in blocks with one matrix product each
//! ([`Accumulation`]); the two agree to rounding. Formulas, derivation and
//! costs: `docs/algorithm.md`, section Dopamine-3.
//!
//! # Protocol
//!
//! Per time step: [`Dopamine3::open_step`] gives the step's noise and a
//! buffer for the presynaptic activity; the caller advances both copies,
//! fills the buffer and hands the two per-step losses to
//! [`Dopamine3::record`]; when it says an update is due,
//! [`Dopamine3::update`] applies it. [`Dopamine3::end_sequence`] ends a
//! sweep. `dopamine-nets` drives this for its RNN and MLP.
//!
//! # Example
//!
//! A linear neuron `y = w x + b` learns `y = 2 x - 1` from a stream, one
//! sample per step, with antithetic copies:
//!
//! ```
//! use dopamine_core::{Dopamine3, Dopamine3Config, NodeLayer, NodeLayout, UpdateEvery};
//!
//! let layout = NodeLayout::new(&[NodeLayer::feedforward(1, 1)])?;
//! let config = Dopamine3Config {
//!     sigma: 0.01,
//!     eta: 0.01,
//!     lambda: 0.0,
//!     update_every: UpdateEvery::Steps(10),
//!     ..Default::default()
//! };
//! let storage = vec![0.0f64; config.storage_len(&layout)];
//! let mut rule = Dopamine3::new(config, layout, storage)?;
//! let mut w = [0.0f64, 0.0]; // [weight, bias]
//! let mode = config.noise;
//! for t in 0..20_000 {
//!     let x = ((t * 37 % 101) as f64 / 50.0) - 1.0;
//!     let target = 2.0 * x - 1.0;
//!     let step = rule.open_step()?;
//!     let xi = step.noise[0];
//!     let y_a = w[0] * x + w[1] + xi;
//!     let y_b = w[0] * x + w[1] + mode.copy_b_factor::<f64>() * xi;
//!     step.presynaptic[0] = x;
//!     let loss = |y: f64| (y - target) * (y - target);
//!     if rule.record(loss(y_a), loss(y_b))?.update_due {
//!         let _ = rule.update(&mut w)?;
//!     }
//! }
//! assert!((w[0] - 2.0).abs() < 0.05 && (w[1] + 1.0).abs() < 0.05, "{w:?}");
//! # Ok::<(), dopamine_core::Error>(())
//! ```

pub mod config;
mod dispatch;
mod flops;
pub mod layout;
pub mod noise;
pub mod outcome;
mod product;
pub mod rule;
mod storage;
pub mod update;

pub use config::{Accumulation, Dopamine3Config, NoiseMode, Signal, UpdateEvery};
pub use layout::{MAX_NODE_LAYERS, NodeLayer, NodeLayout};
pub use noise::{NODE_DOMAIN, node_noise};
pub use outcome::{NodeCounters, NodeUpdate, Recorded, StepBuffers};
pub use rule::Dopamine3;
pub use update::UpdateRejection;
