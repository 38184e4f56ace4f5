//! `dopamine-nets`: the models the Dopamine optimizers train — a multi-layer
//! perceptron ([`Mlp`]) and an Elman recurrent network ([`Rnn`]) on `faer`.
//!
//! # Design
//!
//! * **One flat parameter vector per model.** Each model owns a single
//!   contiguous `Vec<T>`; its weight matrices are `faer` views
//!   (`MatRef`) into that buffer, never copies. Perturbation-based optimizers
//!   work on a whole `&mut [T]` ([`Mlp::params_mut`], [`Rnn::params_mut`]),
//!   and saving, loading or hashing a model is one slice operation. The
//!   layouts are documented on [`Mlp`] and [`Rnn`]; every matrix is stored
//!   column-major (faer's native order).
//! * **Streaming losses.** A perturbation optimizer needs only loss values,
//!   so [`Rnn::loss`] runs the recurrence one step at a time and keeps two
//!   hidden vectors: O(H) memory, however long the sequence. Only the
//!   gradient baselines ([`Rnn::loss_and_gradient`]) store hidden states.
//! * **Evaluation at a borrowed parameter slice.** [`Rnn::loss_at`] and
//!   [`Mlp::loss_at`] evaluate the same architecture at another flat vector
//!   of the same layout (a probe point, say) without copying it into the
//!   model; every forward pass runs on a parameter slice internally.
//! * **Vectorised activations.** `tanh` and the sigmoid come from
//!   [`vmath`]: branch-free approximations within 2 and 3 ulps of `libm`,
//!   compiled with AVX2 when the CPU has it, with the same bits on every
//!   CPU. The RNN's step fuses the bias, both products and `tanh` in one
//!   pass over register blocks of rows.
//! * **Reusable workspaces.** All scratch memory lives in a workspace built
//!   once per model ([`MlpWorkspace`], [`RnnWorkspace`],
//!   [`RnnGradWorkspace`]); forward passes, losses and gradients then
//!   allocate nothing (tested with a counting allocator). Products run with
//!   `faer::Par::Seq`, so results never depend on the thread count.
//! * **Honest costs.** [`Mlp::cost`] and [`Rnn::cost`] report parameter
//!   counts, FLOPs and memory by the convention in [`cost`], so benchmarks
//!   and reports read them instead of guessing.
//! * **Typed errors.** Bad shapes, empty data, non-finite inputs and invalid
//!   configurations return a [`NetError`]; non-finite *parameters* only make
//!   the loss non-finite.
//!
//! # Example
//!
//! ```
//! use dopamine_nets::{Activation, Loss, Mlp, MlpWorkspace, WeightInit};
//! use faer::MatRef;
//!
//! // XOR with a 2-4-1 network: tanh hidden layer, sigmoid output.
//! let mut net = Mlp::<f64>::new(
//!     &[2, 4, 1],
//!     &[Activation::Tanh, Activation::Sigmoid],
//!     WeightInit::Auto,
//!     42,
//! )?;
//! let x = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]; // 4 samples, row-major
//! let y = [0.0, 1.0, 1.0, 0.0];
//! let inputs = MatRef::from_row_major_slice(&x, 4, 2);
//! let targets = MatRef::from_row_major_slice(&y, 4, 1);
//!
//! let mut ws = MlpWorkspace::new(&net, 4);
//! let mut grad = vec![0.0; net.num_params()];
//! for _ in 0..2000 {
//!     net.loss_and_gradient(inputs, targets, Loss::Mse, &mut ws, &mut grad)?;
//!     for (w, g) in net.params_mut().iter_mut().zip(&grad) {
//!         *w -= 0.5 * g; // plain gradient descent
//!     }
//! }
//! let loss = net.loss(inputs, targets, Loss::Mse, &mut ws)?;
//! assert!(loss < 0.05, "loss {loss}");
//! # Ok::<(), dopamine_nets::NetError>(())
//! ```

pub mod activation;
mod check;
pub mod cost;
pub mod error;
pub mod init;
pub mod loss;
pub mod mlp;
mod mlp_grad;
pub mod mlp_node;
pub mod mlp_population;
mod path_cell;
pub mod population_path;
mod population_table;
pub mod rnn;
mod rnn_cost;
mod rnn_forward;
mod rnn_grad;
mod rnn_lockstep;
mod rnn_low_rank;
mod rnn_low_rank_setup;
pub mod rnn_node;
#[cfg(target_arch = "x86_64")]
mod rnn_node_simd;
pub mod rnn_node_stream;
pub mod rnn_population;
#[cfg(target_arch = "x86_64")]
mod simd;
#[cfg(target_arch = "x86_64")]
mod simd_lanes;
pub mod vmath;

pub use activation::Activation;
pub use cost::{Cost, NodeCost};
pub use error::NetError;
pub use init::{WeightInit, spectral_radius};
pub use loss::Loss;
pub use mlp::{Mlp, MlpWorkspace};
pub use mlp_node::MlpNodeWorkspace;
pub use mlp_population::MlpPopulationWorkspace;
pub use population_path::{PointNoise, PopulationPath, population_path, two_thread_split};
pub use rnn::{Rnn, RnnInit, RnnWorkspace};
pub use rnn_grad::{Bptt, RnnGradWorkspace};
pub use rnn_node::{NodeSweep, RnnNodeWorkspace};
pub use rnn_node_stream::StreamStep;
pub use rnn_population::RnnPopulationWorkspace;
pub use vmath::{VectorMath, sigmoid_in_place, tanh_in_place};

/// The scalar types the models run on: `f32` and `f64`.
///
/// A shorthand for [`dopamine_core::Real`] (the optimizer kernel's sealed
/// float trait) plus [`faer::traits::RealField`] (what faer's matrix products
/// need) plus [`VectorMath`] (the vectorised activations). Implemented
/// automatically for every type with all three, which is exactly `f32` and
/// `f64`.
pub trait Scalar: dopamine_core::Real + faer::traits::RealField + VectorMath {}

impl<T: dopamine_core::Real + faer::traits::RealField + VectorMath> Scalar for T {}
