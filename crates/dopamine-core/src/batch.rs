//! [`StepPlan`]: the evaluation points of one step, announced up front, and how to build each of them.
//!
//! A batch step ([`crate::PerturbationOptimizer::plan`], then
//! [`crate::PerturbationOptimizer::tell_all`]) is the ask/tell step with
//! every query known in advance, so a host can evaluate them together: on
//! several threads, on several machines, or as one population in a single
//! sweep of a model.
//!
//! # Points
//!
//! Point `e` of a plan is, in order: the baseline (unless the config skips
//! it), then for each probe `k` its plus side and, with antithetic RPE, its
//! minus side. Point `e` is `w_e + s_e z_k`, where `s_e = +-sigma` and `w_e`
//! is the base that ask/tell would see there: `w_0 = w`, and after each probe
//! point `w_{e+1} = (w_e + s_e z) - s_e z` in floating point (an in-place
//! restore is exact only up to rounding). [`StepPlan::build_point`] writes
//! point `e` and moves a caller's copy of the base past it, so building the
//! points in order costs one noise pass each and gives, bit for bit, the
//! points ask/tell evaluates. A host that evaluates only some points moves
//! the base past the others with [`StepPlan::walk_past`].
//!
//! A model that evaluates the population itself (low-rank noise makes every
//! point share its weight matrices) reads the noise from
//! [`StepPlan::noise`] and evaluates at `w + s_e z_k`; its losses then differ
//! from the built points' by rounding only.
//!
//! # Example
//!
//! A batch step, each point built into one buffer in turn:
//!
//! ```
//! use dopamine_core::{Dopamine1, Dopamine1Rule, PerturbConfig, RpeMode, StepOutcome};
//!
//! let loss = |w: &[f64]| w.iter().map(|x| x * x).sum::<f64>();
//! let config = PerturbConfig { sigma: 1e-3, eta: 0.05, probes: 4, rpe: RpeMode::Antithetic, ..Default::default() };
//! let mut w = vec![3.0, -2.0];
//! let mut opt = Dopamine1::new(config, Dopamine1Rule::default(), w.len())?;
//! let (mut base, mut point, mut losses) = (vec![0.0; 2], vec![0.0; 2], Vec::new());
//! for _ in 0..300 {
//!     let plan = opt.plan(&w)?;
//!     // Build every point of the step (here one after another; any
//!     // thread or device could evaluate them) and collect the losses.
//!     base.copy_from_slice(&w);
//!     losses.clear();
//!     for e in 0..plan.len() {
//!         plan.build_point(e, &mut base, &mut point)?;
//!         losses.push(loss(&point));
//!     }
//!     if let StepOutcome::Rejected(why) = opt.tell_all(&mut w, &losses)? {
//!         panic!("rejected: {why:?}");
//!     }
//! }
//! assert!(loss(&w) < 1e-2);
//! # Ok::<(), dopamine_core::Error>(())
//! ```

use crate::config::{BaselinePolicy, PerturbConfig, RpeMode};
use crate::error::{Error, check_len};
use crate::layout::ParamLayout;
use crate::query::{Query, Side};
use crate::real::Real;
use crate::step_noise::StepNoise;

/// The points of one step and the noise that builds them.
///
/// It is a copy of the settings that define the step (a few hundred bytes),
/// so it can be sent to other threads while the optimizer waits for
/// `tell_all`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepPlan<T> {
    config: PerturbConfig<T>,
    step: u64,
    layout: ParamLayout,
}

impl<T: Real> StepPlan<T> {
    pub(crate) fn new(config: &PerturbConfig<T>, step: u64, layout: ParamLayout) -> Self {
        Self {
            config: *config,
            step,
            layout,
        }
    }

    /// The plan of step `step` under `config` for parameters laid out as
    /// `layout`, validated as an optimizer validates them. For optimizers
    /// that are not a [`crate::PerturbationOptimizer`] (an evolution
    /// strategy: `2K` antithetic points, no baseline) but evaluate their
    /// population on the same noise streams.
    ///
    /// ```
    /// use dopamine_core::{BaselinePolicy, ParamLayout, PerturbConfig, RpeMode, StepPlan};
    ///
    /// let config = PerturbConfig::<f32> {
    ///     probes: 4,
    ///     rpe: RpeMode::Antithetic,
    ///     baseline: BaselinePolicy::FromProbes,
    ///     ..Default::default()
    /// };
    /// let plan = StepPlan::for_step(&config, 0, ParamLayout::flat(10)?)?;
    /// assert_eq!(plan.len(), 8); // w + sigma z_k and w - sigma z_k, k < 4
    /// # Ok::<(), dopamine_core::Error>(())
    /// ```
    ///
    /// Errors: an invalid config, or a layout that does not fit its rank.
    pub fn for_step(
        config: &PerturbConfig<T>,
        step: u64,
        layout: ParamLayout,
    ) -> Result<Self, Error> {
        config.validate()?;
        layout.validate(layout.num_params(), config.rank())?;
        Ok(Self::new(config, step, layout))
    }

    /// The step's index (the noise keys' `step`).
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The perturbation scale `sigma`.
    pub fn sigma(&self) -> T {
        self.config.sigma
    }

    /// Number of probes `K`.
    pub fn probes(&self) -> usize {
        self.config.probes
    }

    /// `true` when point 0 is the baseline.
    pub fn has_baseline(&self) -> bool {
        self.config.baseline == BaselinePolicy::Evaluate
    }

    /// Number of evaluation points: the baseline (unless skipped) plus one
    /// (forward) or two (antithetic) per probe.
    pub fn len(&self) -> usize {
        usize::from(self.has_baseline()) + self.config.probes * self.config.sides()
    }

    /// Always `false`: a step has at least one probe.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Number of parameters.
    pub fn dim(&self) -> usize {
        self.layout.num_params()
    }

    /// What point `e` is.
    ///
    /// # Panics
    /// If `e >= len()`.
    pub fn point(&self, e: usize) -> Query {
        assert!(e < self.len(), "point {e} of a plan of {}", self.len());
        let e = if self.has_baseline() {
            if e == 0 {
                return Query::Baseline;
            }
            e - 1
        } else {
            e
        };
        let sides = self.config.sides();
        Query::Probe {
            probe: e / sides,
            side: if e % sides == 0 {
                Side::Plus
            } else {
                Side::Minus
            },
        }
    }

    /// The index of `query` in the plan; `None` if the step has no such point.
    pub fn index_of(&self, query: Query) -> Option<usize> {
        let offset = usize::from(self.has_baseline());
        match query {
            Query::Baseline => self.has_baseline().then_some(0),
            Query::Probe { probe, side } => {
                let sides = self.config.sides();
                let s = match side {
                    Side::Plus => 0,
                    Side::Minus if self.config.rpe == RpeMode::Antithetic => 1,
                    Side::Minus => return None,
                };
                (probe < self.config.probes).then_some(offset + probe * sides + s)
            }
        }
    }

    /// The signed scale `s_e` of point `e`: `0` for the baseline, `+sigma`
    /// or `-sigma` for a probe's side.
    ///
    /// # Panics
    /// If `e >= len()`.
    pub fn scale(&self, e: usize) -> T {
        match self.point(e) {
            Query::Baseline => T::ZERO,
            Query::Probe {
                side: Side::Plus, ..
            } => self.config.sigma,
            Query::Probe {
                side: Side::Minus, ..
            } => -self.config.sigma,
        }
    }

    /// The noise of this step (streams, low-rank factors, bounds).
    pub fn noise(&self) -> StepNoise<'_> {
        StepNoise::structured(
            self.config.seed,
            self.step,
            self.config.noise,
            self.config.structure,
            &self.layout,
        )
    }

    /// Writes point `e` into `out` and moves `base` past it.
    ///
    /// `base` must be the base of point `e`: the step's parameters moved past
    /// points `0..e` (by earlier calls of this method or of
    /// [`StepPlan::walk_past`]). For the baseline `out` is a copy of `base`;
    /// for a probe's side `out = base + s_e z` and then `base = out - s_e z`.
    ///
    /// Errors: a buffer of the wrong length; `e` out of range
    /// ([`Error::PointOutOfRange`]).
    pub fn build_point(&self, e: usize, base: &mut [T], out: &mut [T]) -> Result<(), Error> {
        self.check(e, base)?;
        check_len(self.dim(), out.len())?;
        match self.point(e) {
            Query::Baseline => out.copy_from_slice(base),
            Query::Probe { probe, .. } => {
                let scale = self.scale(e);
                self.noise()
                    .for_each_scaled_indexed(base.len(), probe, scale, |i, s| {
                        let p = base[i] + s;
                        out[i] = p;
                        base[i] = p - s;
                    });
            }
        }
        Ok(())
    }

    /// Moves `base` past point `e` without writing the point (a host that
    /// evaluates only some points skips the others with this).
    ///
    /// Errors as [`StepPlan::build_point`].
    pub fn walk_past(&self, e: usize, base: &mut [T]) -> Result<(), Error> {
        self.check(e, base)?;
        if let Query::Probe { probe, .. } = self.point(e) {
            self.noise().walk(base, probe, &[self.scale(e)]);
        }
        Ok(())
    }

    fn check(&self, e: usize, base: &[T]) -> Result<(), Error> {
        if e >= self.len() {
            return Err(Error::PointOutOfRange {
                point: e,
                len: self.len(),
            });
        }
        check_len(self.dim(), base.len())
    }
}
