//! `dopamine-dist`: data-parallel Dopamine training over MPI, exchanging only
//! the K loss values of a step.
//!
//! A perturbation step evaluates the loss at K probe points whose noise is a
//! pure function of the key `(seed, step, probe)`. Every rank can therefore
//! regenerate every probe's noise itself: the ranks share the K evaluations
//! of a step, exchange the loss values (one all-reduce of `1 + K` numbers: the baseline and the probes), and
//! each applies the identical update. Communication per step is O(K) scalars
//! whatever the model size P, where a data-parallel gradient all-reduce moves
//! P. The parameters stay bit-identical on every rank, and equal to those of
//! a single-process run with the same K; [`verify_identical`] checks this
//! with a hash compared across the ranks.
//!
//! The step is [`DistributedStepper::step`]; the collectives it needs are
//! behind the small [`Communicator`] trait, implemented over MPI by
//! [`MpiCommunicator`] (the `mpi` crate, Open MPI) and in process by
//! [`LocalCommunicator`] (one rank) and [`ThreadCommunicator`] (ranks as
//! threads, for tests). The crate's README says how to install Open MPI and
//! run under `mpirun` or `srun`, and what scaling to expect.
//!
//! A whole run is `dopamine-train`'s `Trainer` with the ranks as its
//! replicas, [`DistributedRun`]: budgets, records, observers and
//! checkpoints as in one process. Rank 0 writes the checkpoints (the
//! trainer's format, atomic, rotated) and decides what depends on its clock;
//! [`load_latest_shared`] resumes from rank 0's folder on any number of
//! ranks, bit for bit, because the state of a distributed run is the state
//! of a single-process run.
//!
//! # Example
//!
//! Four ranks as threads train a quadratic; each ends with exactly the
//! parameters a single process gets.
//!
//! ```
//! use dopamine_core::{Dopamine1, Dopamine1Rule, PerturbConfig};
//! use dopamine_dist::{DistributedStepper, ThreadCommunicator, param_hash, verify_identical};
//!
//! let loss = |w: &[f64]| w.iter().map(|x| (x - 1.0) * (x - 1.0)).sum::<f64>();
//! let config = PerturbConfig { sigma: 1e-3, eta: 0.05, probes: 8, seed: 7, ..Default::default() };
//!
//! // The reference: one process.
//! let mut w = vec![0.0f64; 50];
//! let mut opt = Dopamine1::new(config, Dopamine1Rule::default(), w.len())?;
//! for _ in 0..100 {
//!     let _ = opt.step(&mut w, loss)?;
//! }
//!
//! // Four ranks; with MPI, `MpiCommunicator::init()?` replaces the group.
//! let hashes: Vec<u64> = std::thread::scope(|s| {
//!     let ranks: Vec<_> = ThreadCommunicator::group(4)
//!         .into_iter()
//!         .map(|comm| {
//!             s.spawn(move || {
//!                 let mut w = vec![0.0f64; 50];
//!                 let mut opt = Dopamine1::new(config, Dopamine1Rule::default(), w.len()).unwrap();
//!                 let mut stepper = DistributedStepper::new(w.len());
//!                 for _ in 0..100 {
//!                     let _ = stepper.step(&mut opt, &mut w, loss, &comm).unwrap();
//!                 }
//!                 assert_eq!(stepper.stats().bytes_reduced, 100 * 9 * 8); // L0 and K = 8 losses a step
//!                 verify_identical(&w, &comm).unwrap()
//!             })
//!         })
//!         .collect();
//!     ranks.into_iter().map(|r| r.join().unwrap()).collect()
//! });
//! assert!(hashes.iter().all(|h| *h == param_hash(&w)));
//! # Ok::<(), dopamine_dist::DistError>(())
//! ```

// The README's Rust example is compiled (not run: it needs `mpirun`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod comm;
pub mod demo;
mod error;
mod mpi_comm;
mod run;
mod step;

pub use comm::{Communicator, LocalCommunicator, ThreadCommunicator};
pub use error::DistError;
pub use mpi_comm::MpiCommunicator;
pub use run::{DistributedRun, load_latest_shared};
pub use step::{CommStats, DistributedStepper, param_hash, verify_identical};
