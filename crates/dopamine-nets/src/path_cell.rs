//! The vocabulary of the measured population-path table: [`PopulationPath`], [`Precision`] and one measured [`PathCell`] (used by `population_path.rs` and the generated `population_table.rs`; re-exported from [`crate::population_path`]).

/// How a step's points are evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PopulationPath {
    /// Each point by itself ([`crate::Rnn::loss_at`]).
    OneByOne,
    /// The built points in lockstep groups
    /// ([`crate::Rnn::population_losses`], [`crate::Rnn::points_losses`];
    /// [`crate::Rnn::plan_losses`] of a full-rank plan): the same bits as one
    /// by one.
    Lockstep,
    /// The low-rank sweep ([`crate::Rnn::plan_losses`] of a low-rank plan):
    /// one shared product per time step.
    LowRankSweep,
}

/// The float type of a measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

impl Precision {
    /// The precision of `T` (`f32` or `f64`, by size).
    pub fn of<T>() -> Self {
        if core::mem::size_of::<T>() == 4 {
            Self::F32
        } else {
            Self::F64
        }
    }
}

/// One measured cell of the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathCell {
    /// The float type.
    pub precision: Precision,
    /// The path measured ([`PopulationPath::Lockstep`] or
    /// [`PopulationPath::LowRankSweep`]).
    pub path: PopulationPath,
    /// Hidden size `H`.
    pub hidden: usize,
    /// Number of points.
    pub points: usize,
    /// The path's time over one-by-one time (below 1: the path pays).
    pub ratio: f64,
}
