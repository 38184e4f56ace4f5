//! The `Benchmark` abstraction: an id, a name, and a measurement that writes its section of `docs/benchmarks.md` and checks its targets.

use dopamine_meter::CountingAllocator;

use super::harness::{Sampling, TargetCheck};
use crate::error::BenchError;
use crate::mode::Mode;

/// What every benchmark gets to measure with.
pub struct BenchContext<'a> {
    /// Full or quick (smaller sizes, fewer samples).
    pub mode: Mode,
    /// Samples per measurement and their minimum length, for this mode.
    pub sampling: Sampling,
    /// The counting allocator, when the binary installed one (memory
    /// benchmarks need it).
    pub meter: Option<&'a CountingAllocator>,
}

/// One performance benchmark of `cargo xtask bench`.
pub trait Benchmark: Sync {
    /// Its id in the numbering: `B1`.
    fn id(&self) -> &'static str;
    /// What it measures, as its section's heading says after the id:
    /// `kernel throughput`.
    fn name(&self) -> &'static str;
    /// Measures; writes the body of its section (under the heading `## id
    /// name`, which the caller writes) into `out`, and every target it
    /// checks into `checks`. A missed target is a check, not an error.
    fn run(
        &self,
        context: &BenchContext<'_>,
        out: &mut String,
        checks: &mut Vec<TargetCheck>,
    ) -> Result<(), BenchError>;
}
