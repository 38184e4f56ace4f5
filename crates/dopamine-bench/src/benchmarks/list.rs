//! The one list of the benchmarks, with their ids: `cargo xtask bench` runs them in this order, and the docs name exactly these ids (checked by `xtask/tests/tidy.rs`). Adding a benchmark is its own file plus one line here.

use super::benchmark::Benchmark;
use super::forward::B8;
use super::kernels::B1;
use super::memory::B4;
use super::parallel_probes::B5;
use super::population::B7;
use super::scaling::B6;
use super::step_overhead::B2;
use super::throughput::B9;

/// Every benchmark `cargo xtask bench` runs, in order.
pub static BENCHMARKS: &[&dyn Benchmark] = &[&B1, &B2, &B4, &B5, &B6, &B7, &B8, &B9];

/// Targets of the same numbering that a test checks instead of a benchmark,
/// with the test: docs may name these ids too.
pub const CHECKED_BY_TESTS: &[(&str, &str)] =
    &[("B3", "crates/dopamine-train/tests/no_alloc_training.rs")];
