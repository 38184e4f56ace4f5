//! Population forward passes of the Elman RNN: every evaluation point of a step advanced together through the sequence, for every population method.
//!
//! A perturbation step evaluates the loss at `E` points (baseline, probes,
//! antithetic sides; OpenES's `2K` antithetic points; SNES's `lambda`
//! points `mu + sigma s_k`). Evaluated one after another, each time step of
//! each point is a matrix-vector product `W_hh h` that waits on the previous
//! step's `tanh`, which uses a fraction of the machine. Three entry points
//! evaluate the points together, whoever built them:
//!
//! * [`Rnn::plan_losses`]: the points of a perturbation [`StepPlan`] (WP,
//!   Dopamine-1/-2, OpenES). With **low-rank noise**
//!   ([`dopamine_core::NoiseStructure::LowRank`]) point `e` perturbs each
//!   weight matrix by `c_e A_e B_e^T` (`c_e = s_e / sqrt(r)`, `s_e =
//!   +-sigma`, factors from the plan's noise), so every point shares the
//!   base matrices: per time step the states `H_s` (`H x E`) advance by one
//!   product `W_hh H_s`, plus per point the correction `c_e A_e (B_e^T h_e)`
//!   at `O(r H)`, the shared input product `W_in x_t` plus its correction,
//!   each point's own bias `b + s_e z_b`, and one vectorised `tanh` over the
//!   whole `H x E` block; the readout is one product `W_out H_s` plus
//!   corrections (weight matrices given as vector blocks of the layout get
//!   dense noise, applied as `s_e (Z_e h_e)`). With **full-rank noise** it is
//!   [`Rnn::population_losses`] of the plan.
//! * [`Rnn::population_losses`]: the points of any
//!   [`dopamine_core::Population`] (a full-rank `StepPlan`, SNES's
//!   `SnesPlan`, or a trait object), built in order (bit for bit the points
//!   the method expects) into the workspace, a group at a time, and
//!   evaluated in lockstep.
//! * [`Rnn::points_losses`]: points the caller holds as parameter slices
//!   (an antithetic pair `w + s z`, `w - s z`; any set), in lockstep.
//!
//! **Lockstep** (the full-rank path): points advance through the sequence
//! in groups of 2 or 4 whose dependency chains interleave in one pass per
//! time step (see `rnn_lockstep`); every loss is bit-identical to
//! [`Rnn::loss_at`] of its point.
//!
//! With low-rank noise the losses are those of the points `w + s_e z`
//! evaluated in another order of operations (and without the restore drift
//! that later ask/tell probes see), so they differ from the one-at-a-time
//! losses by rounding only: the tests bound the relative difference by
//! `1e-4` in `f32` and `1e-12` in `f64` on trained-size networks.
//!
//! Whether a sweep beats evaluating the points one by one depends on `H`,
//! the number of points and the noise; [`Rnn::population_path`] answers from
//! measurements (see the [`population_path`](mod@crate::population_path) module).

use core::ops::Range;

use dopamine_core::{Block, ParamLayout, Population, StepPlan};
use faer::MatRef;

use crate::rnn_lockstep::{LockstepSse, PointSet, largest_group, next_group};
use crate::rnn_low_rank::LowRankSweep;
use crate::vmath::dispatch;
use crate::{NetError, Rnn, Scalar};

/// Scratch memory of [`Rnn::plan_losses`]. It grows on the first call for
/// a given number of points and rank, and later calls of the same size
/// allocate nothing.
///
/// The low-rank sweep stores every per-point quantity *point-minor*: row `i`
/// of an `H x E` block holds unit `i` of every point, so each operation on
/// the population is a loop over contiguous points that vectorises, with
/// no per-point horizontal sum.
#[derive(Debug, Clone)]
pub struct RnnPopulationWorkspace<T> {
    pub(crate) dims: (usize, usize, usize),
    /// Hidden states, `H x ep` (row `i`: unit `i` of every point; `ep` is
    /// the number of points padded to a multiple of 16).
    pub(crate) hs: Vec<T>,
    /// Next states / pre-activations, `H x ep`.
    pub(crate) next: Vec<T>,
    /// Outputs, `O x ep`.
    pub(crate) y: Vec<T>,
    /// Shared input product `W_in x_t`, `H`.
    pub(crate) v: Vec<T>,
    /// The input of the current time step, `I`.
    pub(crate) x: Vec<T>,
    /// Each point's hidden bias `b + s_e z_b`, `H x ep`.
    pub(crate) bias: Vec<T>,
    /// Each point's output bias, `O x ep`.
    pub(crate) bias_out: Vec<T>,
    /// Per point: `c_e = s_e / sqrt(r)` and `s_e` (0 for the baseline and
    /// the padding), and a scratch row.
    pub(crate) coef: Vec<T>,
    pub(crate) scale: Vec<T>,
    pub(crate) u: Vec<T>,
    /// Per point, point-minor: the factors (`A` rows then `B` rows, each
    /// factor column `l` after the other) or the dense noise of `W_in`,
    /// `W_hh`, `W_out`.
    pub(crate) w_in: Vec<T>,
    pub(crate) w_hh: Vec<T>,
    pub(crate) w_out: Vec<T>,
    /// The shared `W_hh` and `W_out` in blocks of 4 rows (see
    /// `rnn_low_rank::Shared`).
    pub(crate) w_hh_packed: Vec<T>,
    pub(crate) w_out_packed: Vec<T>,
    /// Sum of squared errors per point.
    pub(crate) sse: Vec<T>,
    /// Full-rank path: the points of one group, built one after another
    /// (`P` values each), and the walking base.
    pub(crate) points: Vec<T>,
    pub(crate) base: Vec<T>,
    /// Full-rank path: a lane-parallel group's parameters, point-minor.
    pub(crate) wt: Vec<T>,
}

impl<T: Scalar> RnnPopulationWorkspace<T> {
    /// An empty workspace for `net`; it grows on first use.
    pub fn new(net: &Rnn<T>) -> Self {
        Self {
            dims: (net.input_dim(), net.hidden_dim(), net.output_dim()),
            hs: Vec::new(),
            next: Vec::new(),
            y: Vec::new(),
            v: Vec::new(),
            x: Vec::new(),
            bias: Vec::new(),
            bias_out: Vec::new(),
            coef: Vec::new(),
            scale: Vec::new(),
            u: Vec::new(),
            w_in: Vec::new(),
            w_hh: Vec::new(),
            w_out: Vec::new(),
            w_hh_packed: Vec::new(),
            w_out_packed: Vec::new(),
            sse: Vec::new(),
            points: Vec::new(),
            base: Vec::new(),
            wt: Vec::new(),
        }
    }
}

/// Checks that `points` lies within a population of `len` points.
fn check_range(points: &Range<usize>, len: usize) -> Result<(), NetError> {
    if points.start > points.end || points.end > len {
        return Err(NetError::ShapeMismatch {
            what: "points of the population (the range's end)",
            expected: len,
            got: points.end,
        });
    }
    Ok(())
}

/// Sets `v` to `len` zeros, reusing its allocation when it is large enough.
pub(crate) fn sized<T: Scalar>(v: &mut Vec<T>, len: usize) {
    v.clear();
    v.resize(len, T::ZERO);
}

impl<T: Scalar> Rnn<T> {
    /// The layout of this model's parameters for [`dopamine_core::ParamLayout`]:
    /// `[W_in, W_hh, b, W_out, b_out]`, the weight matrices as matrix blocks
    /// where they can carry noise of rank `rank` (`min(rows, cols) >=
    /// rank`), otherwise as vector blocks (dense noise: e.g. `W_in` of a
    /// one-input network for `rank >= 2`), the biases as vector blocks.
    pub fn param_layout(&self, rank: usize) -> ParamLayout {
        let (i, h, o) = (self.input_dim(), self.hidden_dim(), self.output_dim());
        let matrix = |rows: usize, cols: usize| {
            if rows.min(cols) >= rank.max(1) {
                Block::Matrix { rows, cols }
            } else {
                Block::Vector { len: rows * cols }
            }
        };
        ParamLayout::new(&[
            matrix(h, i),
            matrix(h, h),
            Block::Vector { len: h },
            matrix(o, h),
            Block::Vector { len: o },
        ])
        .expect("five non-empty blocks")
    }

    /// Checks what every population entry point shares: the workspace, the
    /// data and the number of losses.
    fn check_population(
        &self,
        points: usize,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &RnnPopulationWorkspace<T>,
        losses: &[T],
    ) -> Result<(), NetError> {
        if losses.len() != points {
            return Err(NetError::ShapeMismatch {
                what: "losses (one per point)",
                expected: points,
                got: losses.len(),
            });
        }
        if ws.dims != (self.input_dim(), self.hidden_dim(), self.output_dim()) {
            return Err(NetError::WorkspaceMismatch {
                what: "model dimensions",
            });
        }
        self.validate(inputs, Some(targets), washout)
    }

    /// Each point's loss from its sum of squared errors in `ws.sse`.
    fn finish(&self, inputs: MatRef<'_, T>, washout: usize, sse: &[T], losses: &mut [T]) {
        let scored = T::from_usize((inputs.nrows() - washout) * self.output_dim());
        for (l, s) in losses.iter_mut().zip(sse) {
            *l = *s / scored;
        }
    }

    /// The loss ([`Rnn::loss`], streamed mean squared error after the
    /// washout) of every point of `plan` around the parameters `params`, in
    /// plan order, evaluated as one population (see the [module
    /// docs](crate::rnn_population)): low-rank noise by the shared-product
    /// sweep, full-rank noise as [`Rnn::population_losses`]. `params` are
    /// the parameters the plan was made for.
    ///
    /// Errors: every error of [`Rnn::loss_at`]; `losses` or the plan of
    /// another length than the plan's points or the model's parameters
    /// ([`NetError::ShapeMismatch`]); a low-rank plan whose layout does not
    /// follow the model's blocks ([`NetError::PlanLayout`]; build it with
    /// [`Rnn::param_layout`]).
    #[allow(clippy::too_many_arguments)]
    pub fn plan_losses(
        &self,
        params: &[T],
        plan: &StepPlan<T>,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &mut RnnPopulationWorkspace<T>,
        losses: &mut [T],
    ) -> Result<(), NetError> {
        let all = 0..plan.len();
        self.plan_range_losses(params, plan, all, inputs, targets, washout, ws, losses)
    }

    /// [`Rnn::plan_losses`] of the plan's points `points` only (`losses`
    /// holds one per point of the range): each loss has the bits it has in
    /// the whole plan's evaluation, so a plan split into ranges (one per
    /// thread) gives the same losses as one call.
    ///
    /// Errors: those of [`Rnn::plan_losses`], and a range past the plan's
    /// points ([`NetError::ShapeMismatch`]).
    #[allow(clippy::too_many_arguments)]
    pub fn plan_range_losses(
        &self,
        params: &[T],
        plan: &StepPlan<T>,
        points: Range<usize>,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &mut RnnPopulationWorkspace<T>,
        losses: &mut [T],
    ) -> Result<(), NetError> {
        let noise = plan.noise();
        let Some(layout) = noise.layout().filter(|_| noise.rank().is_some()) else {
            return self.population_range_losses(
                params, plan, points, inputs, targets, washout, ws, losses,
            );
        };
        let view = self.checked_view(params)?;
        if plan.dim() != params.len() {
            return Err(NetError::ShapeMismatch {
                what: "parameters of the step plan",
                expected: params.len(),
                got: plan.dim(),
            });
        }
        check_range(&points, plan.len())?;
        self.check_population(points.len(), inputs, targets, washout, ws, losses)?;
        let kinds = self.population_noise(layout)?;
        self.prepare_low_rank(params, plan, points, kinds, ws);
        dispatch(LowRankSweep {
            params: view,
            kinds,
            rank: noise.rank().unwrap_or(1),
            inputs,
            targets,
            washout,
            ws: &mut *ws,
        });
        self.finish(inputs, washout, &ws.sse, losses);
        Ok(())
    }

    /// The loss ([`Rnn::loss`]) of every point of `population` (any
    /// population method's step: a full-rank [`StepPlan`], SNES's plan, a
    /// `&dyn Population`), in point order: the points are built in order
    /// from a copy of `params` (the parameters the step was planned at) into
    /// the workspace, a small group at a time, and each group advances
    /// through the sequence in lockstep. Each loss is bit-identical to
    /// [`Rnn::loss_at`] of its built point. Low-rank structure in a plan is
    /// not used here (see [`Rnn::plan_losses`]).
    ///
    /// Errors: every error of [`Rnn::loss_at`]; `losses` or the population
    /// of another length than its points or the model's parameters
    /// ([`NetError::ShapeMismatch`]); a point the population cannot build
    /// ([`NetError::PlanLayout`]).
    #[allow(clippy::too_many_arguments)]
    pub fn population_losses<P: Population<T> + ?Sized>(
        &self,
        params: &[T],
        population: &P,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &mut RnnPopulationWorkspace<T>,
        losses: &mut [T],
    ) -> Result<(), NetError> {
        let all = 0..population.len();
        self.population_range_losses(
            params, population, all, inputs, targets, washout, ws, losses,
        )
    }

    /// [`Rnn::population_losses`] of the points `points` only (`losses`
    /// holds one per point of the range): the base is walked past the
    /// points before the range ([`Population::walk_past`]), so each point is
    /// built bit for bit as in the whole population's evaluation.
    ///
    /// Errors: those of [`Rnn::population_losses`], and a range past the
    /// population's points ([`NetError::ShapeMismatch`]).
    #[allow(clippy::too_many_arguments)]
    pub fn population_range_losses<P: Population<T> + ?Sized>(
        &self,
        params: &[T],
        population: &P,
        points: Range<usize>,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &mut RnnPopulationWorkspace<T>,
        losses: &mut [T],
    ) -> Result<(), NetError> {
        self.checked_view(params)?;
        if population.dim() != params.len() {
            return Err(NetError::ShapeMismatch {
                what: "parameters of the population",
                expected: params.len(),
                got: population.dim(),
            });
        }
        check_range(&points, population.len())?;
        let n = points.len();
        self.check_population(n, inputs, targets, washout, ws, losses)?;
        let p = params.len();
        self.size_lockstep(n, ws);
        sized(&mut ws.points, largest_group::<T>(self.hidden_dim()).0 * p);
        ws.base.clear();
        ws.base.extend_from_slice(params);
        let unbuildable = |_| NetError::PlanLayout {
            what: "the population cannot build its points on these parameters",
        };
        for e in 0..points.start {
            population.walk_past(e, &mut ws.base).map_err(unbuildable)?;
        }
        let mut e0 = 0;
        while e0 < n {
            let g = next_group::<T>(self.hidden_dim(), n - e0).len::<T>();
            for (k, point) in ws.points[..g * p].chunks_exact_mut(p).enumerate() {
                population
                    .build_point(points.start + e0 + k, &mut ws.base, point)
                    .map_err(unbuildable)?;
            }
            dispatch(LockstepSse {
                dims: (self.input_dim(), self.hidden_dim(), self.output_dim()),
                points: PointSet::Flat {
                    data: &ws.points[..g * p],
                    dim: p,
                },
                inputs,
                targets,
                washout,
                hs: &mut ws.hs,
                next: &mut ws.next,
                y: &mut ws.y,
                x: &mut ws.x,
                wt: &mut ws.wt,
                sse: &mut ws.sse[e0..e0 + g],
            });
            e0 += g;
        }
        self.finish(inputs, washout, &ws.sse, losses);
        Ok(())
    }

    /// The loss ([`Rnn::loss`]) at each of `points`, parameter vectors of
    /// this model's layout held by the caller (an antithetic pair `w + s z`
    /// and `w - s z`, a population built elsewhere), advanced through the
    /// sequence in lockstep groups. Each loss is bit-identical to
    /// [`Rnn::loss_at`] of its point. Allocates nothing once the workspace
    /// has seen as many points.
    ///
    /// Errors: every error of [`Rnn::loss_at`] (a point of the wrong length
    /// is a [`NetError::ShapeMismatch`]), and `losses` not one per point.
    pub fn points_losses(
        &self,
        points: &[&[T]],
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &mut RnnPopulationWorkspace<T>,
        losses: &mut [T],
    ) -> Result<(), NetError> {
        for point in points {
            self.checked_view(point)?;
        }
        self.check_population(points.len(), inputs, targets, washout, ws, losses)?;
        self.size_lockstep(points.len(), ws);
        dispatch(LockstepSse {
            dims: (self.input_dim(), self.hidden_dim(), self.output_dim()),
            points: PointSet::Slices(points),
            inputs,
            targets,
            washout,
            hs: &mut ws.hs,
            next: &mut ws.next,
            y: &mut ws.y,
            x: &mut ws.x,
            wt: &mut ws.wt,
            sse: &mut ws.sse,
        });
        self.finish(inputs, washout, &ws.sse, losses);
        Ok(())
    }

    /// [`Rnn::points_losses`] of points stored one after another in
    /// `points` ([`Rnn::num_params`] values each; `losses` holds one per
    /// point): the same bits as [`Rnn::loss_at`] of each point.
    ///
    /// Errors: those of [`Rnn::points_losses`]; `points` not a whole number
    /// of parameter vectors ([`NetError::ShapeMismatch`]).
    pub fn packed_points_losses(
        &self,
        points: &[T],
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &mut RnnPopulationWorkspace<T>,
        losses: &mut [T],
    ) -> Result<(), NetError> {
        let p = self.num_params();
        if points.len() != losses.len() * p {
            return Err(NetError::ShapeMismatch {
                what: "packed points (one parameter vector per loss)",
                expected: losses.len() * p,
                got: points.len(),
            });
        }
        self.check_population(losses.len(), inputs, targets, washout, ws, losses)?;
        self.size_lockstep(losses.len(), ws);
        dispatch(LockstepSse {
            dims: (self.input_dim(), self.hidden_dim(), self.output_dim()),
            points: PointSet::Flat {
                data: points,
                dim: p,
            },
            inputs,
            targets,
            washout,
            hs: &mut ws.hs,
            next: &mut ws.next,
            y: &mut ws.y,
            x: &mut ws.x,
            wt: &mut ws.wt,
            sse: &mut ws.sse,
        });
        self.finish(inputs, washout, &ws.sse, losses);
        Ok(())
    }

    /// Sizes the workspace's buffers for lockstep groups of `n` points.
    fn size_lockstep(&self, n: usize, ws: &mut RnnPopulationWorkspace<T>) {
        let (most, lanes) = largest_group::<T>(self.hidden_dim());
        sized(&mut ws.hs, most * self.hidden_dim());
        sized(&mut ws.next, most * self.hidden_dim());
        sized(&mut ws.y, most * self.output_dim());
        sized(&mut ws.wt, if lanes { most * self.num_params() } else { 0 });
        sized(&mut ws.x, self.input_dim());
        sized(&mut ws.sse, n);
    }
}

#[cfg(test)]
mod tests;
