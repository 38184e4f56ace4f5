//! `cargo xtask bench`: how close the kernels and a training step come to what the machine allows (B1, B2, B4-B9), one file per benchmark and one list of them.
//!
//! Every figure is a ratio against a reference measured in the same run, on
//! the same machine, interleaved with it: samples of the measured code and of
//! its reference alternate, so a change of load hits both alike, and each
//! figure is the median of its samples. These are benchmarks, not timed
//! tests: a missed target is reported (and explained in
//! `docs/benchmarks.md`), never a failure. B3 (no allocation per step) is a
//! test: `tests/no_alloc_training.rs`.
//!
//! * **B1** kernel throughput (`kernels.rs`): `perturb` and the update `w += c z`
//!   (`add_scaled_noise`) for `P = 1e3 .. 1e7`, `f32`/`f64`,
//!   Gaussian/Rademacher, beside `memcpy` and an axpy over stored noise of the
//!   same length (the reference).
//! * **B2** step overhead (`step_overhead.rs`): a Dopamine-1 step over two forward passes, RNN
//!   `H = 64`, `T = 1000`.
//! * **B4** memory (`memory.rs`): peak heap bytes of a training run, Dopamine-1 against
//!   Adam-BPTT, `H = 64`, `T` in {500, 2000, 8000} (needs the counting
//!   allocator installed by the binary).
//! * **B5** parallel probes (`parallel_probes.rs`): `K = 8` probes per step on 2 threads against 1,
//!   and bit-identity of the results.
//! * **B6** scaling (`scaling.rs`): time per step against `H` for Dopamine-1 and Adam-BPTT,
//!   achieved GFLOP/s beside faer's matrix-vector and matrix-matrix rates,
//!   and growth with `H` and `T`.
//! * **B7** population step (`population.rs`): a whole step of K = 16
//!   antithetic probes (32 points) against one forward pass, low-rank and
//!   full-rank, beside what batching the products could buy at best.
//! * **B8** single forward pass (`forward.rs`): ns per time step of the RNN's
//!   streamed loss against faer's matvec plus the vectorised `tanh`, `H` in
//!   {16, 64, 256}, `f32` (targets) and `f64`.
//! * **B9** training throughput (`throughput.rs`): forward passes per second
//!   per core of whole training steps of every method on the E2 network, as
//!   the trainer takes them, against a single forward pass.
//!
//! Each benchmark implements [`Benchmark`] (an id, a name, a measurement
//! that writes its section and its target checks) and is one line of
//! [`BENCHMARKS`]; `harness.rs` holds the shared measuring (interleaved
//! medians, [`Sampling`]), `fixtures.rs` the model and optimizers the step
//! benchmarks share, `report.rs` the loop and `docs/benchmarks.md`'s frame.

mod benchmark;
mod fixtures;
mod forward;
mod harness;
mod kernels;
mod list;
mod memory;
mod parallel_probes;
mod population;
mod report;
mod scaling;
mod step_overhead;
mod throughput;

pub use benchmark::{BenchContext, Benchmark};
pub use harness::{Sampling, TargetCheck, interleaved_medians};
pub use list::{BENCHMARKS, CHECKED_BY_TESTS};
pub use report::{BenchOptions, BenchReport, run};
