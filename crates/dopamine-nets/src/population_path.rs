//! Which way to evaluate a step's points on an RNN — one by one, in lockstep, or by the low-rank sweep — decided from measurements of this crate's kernels per hidden size, number of points and float type.
//!
//! The population paths pay where one forward pass leaves the machine idle
//! (small `H`: latency-bound) or where the points share work (low-rank
//! noise: one shared product per time step), and cost where their working
//! set leaves the cache or where padding wastes lanes (a low-rank sweep of
//! 2 points computes 16). [`population_path`] answers for a model size from
//! the committed table in `population_table.rs`, which
//! `examples/population_table.rs` measures and writes:
//!
//! ```text
//! cargo run --release -p dopamine-nets --example population_table \
//!     > crates/dopamine-nets/src/population_table.rs
//! ```
//!
//! Each cell is the median over interleaved samples of a path's time over
//! the time of the same points built and evaluated one after another
//! ([`crate::Rnn::loss_at`] of each built point), on the E2 network's shape
//! (1-D input and output, T = 1,499): [`PopulationPath::Lockstep`] on the
//! points of a full-rank step ([`crate::Rnn::population_losses`]),
//! [`PopulationPath::LowRankSweep`] on those of a rank-1 step
//! ([`crate::Rnn::plan_losses`]). Between measured sizes the nearest
//! measured `H` (on a log scale) and the largest measured number of points
//! not above the request decide.
//!
//! **Results by path.** One by one and lockstep give the same bits (every
//! lockstep loss is bit-identical to [`crate::Rnn::loss_at`] of its point),
//! so for full-rank noise the choice never changes a result. The low-rank
//! sweep evaluates the same points in another order of operations: its
//! losses differ from the built points' by rounding. A run that takes the
//! path from this table is still deterministic (the table is committed),
//! but regenerating the table can move a low-rank configuration from one
//! side to the other.
//!
//! ```
//! use dopamine_nets::population_path::{PointNoise, PopulationPath, population_path};
//!
//! // A single point is always evaluated on its own.
//! assert_eq!(
//!     population_path::<f32>(16, 1, PointNoise::FullRank),
//!     PopulationPath::OneByOne
//! );
//! // Full-rank points never take the low-rank sweep.
//! assert_ne!(
//!     population_path::<f32>(16, 32, PointNoise::FullRank),
//!     PopulationPath::LowRankSweep
//! );
//! ```

pub use crate::path_cell::{PathCell, PopulationPath, Precision};
use crate::population_table::TABLE;

/// The noise structure of a step's points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PointNoise {
    /// Every point has its own parameter vector (WP, the Dopamine rules and
    /// OpenES with full-rank noise, SNES).
    FullRank,
    /// Low-rank noise on the weight matrices
    /// ([`dopamine_core::NoiseStructure::LowRank`] on the layout of
    /// [`crate::Rnn::param_layout`]): the points can also share one product
    /// per time step.
    LowRank,
}

/// A path is taken only where it measured at most this fraction of the
/// one-by-one time: a margin over the measurements' noise on a shared
/// machine (a few percent), so that a path that merely ties does not flip
/// with a regeneration.
pub const PAYS_BELOW: f64 = 0.95;

/// The committed measurements (see the module docs for how they are made).
pub fn table() -> &'static [PathCell] {
    TABLE
}

/// The measured cell of `path` that decides for `hidden` and `points`: the
/// nearest measured hidden size on a log scale (the larger one on a tie),
/// then the largest measured number of points not above `points`; `None`
/// below the smallest measured number of points.
pub fn deciding_cell(
    precision: Precision,
    path: PopulationPath,
    hidden: usize,
    points: usize,
) -> Option<&'static PathCell> {
    let cells = || {
        TABLE
            .iter()
            .filter(move |c| c.precision == precision && c.path == path)
    };
    let distance = |h: usize| ((h.max(1) as f64).ln() - (hidden.max(1) as f64).ln()).abs();
    let nearest = cells()
        .map(|c| c.hidden)
        .min_by(|&a, &b| distance(a).total_cmp(&distance(b)).then(b.cmp(&a)))?;
    cells()
        .filter(|c| c.hidden == nearest && c.points <= points)
        .max_by_key(|c| c.points)
}

/// The fastest measured way to evaluate `points` points of an RNN with
/// `hidden` units (float type `T`) whose noise is `noise`: the path with the
/// smallest measured ratio, where it is below [`PAYS_BELOW`];
/// [`PopulationPath::OneByOne`] where none is (and for fewer than two
/// points).
pub fn population_path<T>(hidden: usize, points: usize, noise: PointNoise) -> PopulationPath {
    if points < 2 {
        return PopulationPath::OneByOne;
    }
    let precision = Precision::of::<T>();
    let candidates: &[PopulationPath] = match noise {
        PointNoise::FullRank => &[PopulationPath::Lockstep],
        PointNoise::LowRank => &[PopulationPath::Lockstep, PopulationPath::LowRankSweep],
    };
    candidates
        .iter()
        .filter_map(|&path| deciding_cell(precision, path, hidden, points).map(|c| (path, c.ratio)))
        .filter(|&(_, ratio)| ratio < PAYS_BELOW)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(PopulationPath::OneByOne, |(path, _)| path)
}

/// The least work, in multiply-adds of the recurrence (`T (H^2 + 2 H)` per
/// point), that the smaller part of a split must have for two threads to
/// beat one: below it, handing the part to the other thread and waiting for
/// it costs more than it saves. Measured by `examples/two_threads.rs` (see
/// [`two_thread_split`]).
pub const MIN_SPLIT_WORK: f64 = 2.0e5;

/// Where to split `points` points evaluated on `path` between two threads
/// (the first thread takes points `0..split`, the second the rest), or
/// `None` where one thread is as fast: fewer than two points, or a part
/// with less than [`MIN_SPLIT_WORK`] of work (hidden size `hidden`,
/// sequences of `seq_len` steps). The split falls on the paths' own
/// groups, so neither part pads more than the whole would: a multiple of
/// a vector of points for lockstep lanes, of 16 points for the low-rank
/// sweep (which pads to 16; a sweep of at most 16 points is not split).
/// Each point's loss has the same bits whichever part evaluates it.
pub fn two_thread_split<T: crate::Scalar>(
    hidden: usize,
    seq_len: usize,
    points: usize,
    path: PopulationPath,
) -> Option<usize> {
    let half = points.div_ceil(2);
    let group = match path {
        PopulationPath::OneByOne => 1,
        PopulationPath::Lockstep => {
            let (_, lanes) = crate::rnn_lockstep::largest_group::<T>(hidden);
            if lanes && points >= 2 * T::LANES {
                T::LANES
            } else {
                1
            }
        }
        PopulationPath::LowRankSweep => crate::rnn_low_rank_setup::POINT_PAD,
    };
    let split = half.div_ceil(group) * group;
    let smaller = split.min(points.saturating_sub(split));
    let per_point = seq_len as f64 * (hidden * hidden + 2 * hidden) as f64;
    (smaller > 0 && smaller as f64 * per_point >= MIN_SPLIT_WORK).then_some(split)
}

impl<T: crate::Scalar> crate::Rnn<T> {
    /// [`population_path`] for this model: the fastest measured way to
    /// evaluate a step's `points` points with this noise.
    pub fn population_path(&self, points: usize, noise: PointNoise) -> PopulationPath {
        population_path::<T>(self.hidden_dim(), points, noise)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_covers_every_measured_combination() {
        for precision in [Precision::F32, Precision::F64] {
            for path in [PopulationPath::Lockstep, PopulationPath::LowRankSweep] {
                for hidden in [16, 64, 256] {
                    for points in [2, 4, 8, 16, 32] {
                        let cell = deciding_cell(precision, path, hidden, points)
                            .expect("a measured cell");
                        assert_eq!((cell.hidden, cell.points), (hidden, points));
                        assert!(cell.ratio.is_finite() && cell.ratio > 0.0);
                    }
                }
            }
        }
    }

    #[test]
    fn lookups_between_measured_sizes_take_the_nearest() {
        let f = |h, e| {
            deciding_cell(Precision::F32, PopulationPath::LowRankSweep, h, e)
                .map(|c| (c.hidden, c.points))
        };
        assert_eq!(f(20, 10), Some((16, 8)));
        assert_eq!(f(32, 100), Some((64, 32)));
        assert_eq!(f(1000, 3), Some((256, 2)));
        assert_eq!(f(1, 2), Some((16, 2)));
        assert_eq!(f(64, 1), None);
    }

    #[test]
    fn the_decision_is_the_fastest_measured_path() {
        for precision_f32 in [true, false] {
            for noise in [PointNoise::FullRank, PointNoise::LowRank] {
                for hidden in [16, 64, 256] {
                    for points in [2, 4, 8, 16, 32] {
                        let (path, precision) = if precision_f32 {
                            (
                                population_path::<f32>(hidden, points, noise),
                                Precision::F32,
                            )
                        } else {
                            (
                                population_path::<f64>(hidden, points, noise),
                                Precision::F64,
                            )
                        };
                        let ratio = |p| deciding_cell(precision, p, hidden, points).unwrap().ratio;
                        let lockstep = ratio(PopulationPath::Lockstep);
                        let sweep = ratio(PopulationPath::LowRankSweep);
                        let pays = |r: f64| if r < PAYS_BELOW { r } else { 1.0 };
                        let best = match noise {
                            PointNoise::FullRank => pays(lockstep),
                            PointNoise::LowRank => pays(lockstep).min(pays(sweep)),
                        };
                        let chosen = match path {
                            PopulationPath::OneByOne => 1.0,
                            PopulationPath::Lockstep => lockstep,
                            PopulationPath::LowRankSweep => sweep,
                        };
                        assert_eq!(chosen, best, "{noise:?} H={hidden} E={points}");
                        if noise == PointNoise::FullRank {
                            assert_ne!(path, PopulationPath::LowRankSweep);
                        }
                    }
                }
            }
        }
        assert_eq!(
            population_path::<f32>(16, 1, PointNoise::LowRank),
            PopulationPath::OneByOne
        );
    }
}
