//! Population forward passes of the Elman RNN: every evaluation point of a step plan advanced together through the sequence.
//!
//! A perturbation step evaluates the loss at `E` points (baseline, probes,
//! antithetic sides). Evaluated one after another, each time step of each
//! point is a matrix-vector product `W_hh h`, which runs at a fraction of the
//! machine's matrix-multiply rate. [`Rnn::plan_losses`] advances all `E`
//! hidden states together instead:
//!
//! * **Low-rank noise** (a plan with [`dopamine_core::NoiseStructure::LowRank`]):
//!   point `e` perturbs each weight matrix by `c_e A_e B_e^T` (`c_e = s_e /
//!   sqrt(r)`, `s_e = +-sigma`, factors from the plan's noise), so every
//!   point shares the base matrices. Per time step the states `H_s`
//!   (`H x E`) advance by one product `W_hh H_s`, plus per point the
//!   correction `c_e A_e (B_e^T h_e)` at `O(r H)`, the shared input product
//!   `W_in x_t` plus its correction, each point's own bias `b + s_e z_b`, and
//!   one vectorised `tanh` over the whole `H x E` block. The readout is one
//!   product `W_out H_s` plus corrections. Weight matrices given as vector
//!   blocks of the layout get dense noise, applied as `s_e (Z_e h_e)`.
//! * **Full-rank noise**: every point has its own matrices, so nothing is
//!   shared. The points are built (bit for bit the points ask/tell evaluates,
//!   [`dopamine_core::StepPlan::build_point`]) and advanced in lockstep, one
//!   time step of every point after the other, with the single-point kernel:
//!   each point's loss is bit-identical to [`Rnn::loss_at`] of that point.
//!
//! With low-rank noise the losses are those of the points `w + s_e z`
//! evaluated in another order of operations (and without the restore drift
//! that later ask/tell probes see), so they differ from the one-at-a-time
//! losses by rounding only: the tests bound the relative difference by
//! `1e-4` in `f32` and `1e-12` in `f64` on trained-size networks.

use dopamine_core::{Block, ParamLayout, Population, Query, StepPlan};
use faer::MatRef;

use crate::rnn_forward::RnnParams;
use crate::vmath::{Isa, Kernel, dispatch};
use crate::{NetError, Rnn, Scalar};

/// How one weight matrix's noise reaches the population.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MatrixNoise {
    /// A matrix block of the layout: `c_e A_e B_e^T`.
    LowRank,
    /// A vector block: dense noise `s_e Z_e`.
    Dense,
}

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
    dims: (usize, usize, usize),
    /// Hidden states, `H x ep` (row `i`: unit `i` of every point; `ep` is
    /// the number of points padded to a multiple of 16).
    hs: Vec<T>,
    /// Next states / pre-activations, `H x ep`.
    next: Vec<T>,
    /// Outputs, `O x ep`.
    y: Vec<T>,
    /// Shared input product `W_in x_t`, `H`.
    v: Vec<T>,
    /// The input of the current time step, `I`.
    x: Vec<T>,
    /// Each point's hidden bias `b + s_e z_b`, `H x ep`.
    bias: Vec<T>,
    /// Each point's output bias, `O x ep`.
    bias_out: Vec<T>,
    /// Per point: `c_e = s_e / sqrt(r)` and `s_e` (0 for the baseline and
    /// the padding), and a scratch row.
    coef: Vec<T>,
    scale: Vec<T>,
    u: Vec<T>,
    /// Per point, point-minor: the factors (`A` rows then `B` rows, each
    /// factor column `l` after the other) or the dense noise of `W_in`,
    /// `W_hh`, `W_out`.
    w_in: Vec<T>,
    w_hh: Vec<T>,
    w_out: Vec<T>,
    /// Sum of squared errors per point.
    sse: Vec<T>,
    /// Full-rank path: the built points, `P x E` (point-major), and the
    /// walking base.
    points: Vec<T>,
    base: Vec<T>,
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
            sse: Vec::new(),
            points: Vec::new(),
            base: Vec::new(),
        }
    }
}

/// Points are padded to a multiple of this (two AVX2 vectors of `f32`).
const POINT_PAD: usize = 16;

/// Sets `v` to `len` zeros, reusing its allocation when it is large enough.
fn sized<T: Scalar>(v: &mut Vec<T>, len: usize) {
    v.clear();
    v.resize(len, T::ZERO);
}

/// The probe and scale of each point of a plan.
#[derive(Debug, Clone, Copy)]
struct PointNoise<T> {
    /// `None` for the baseline.
    probe: Option<usize>,
    /// `s_e` (`+-sigma`, 0 for the baseline).
    scale: T,
}

fn point_noise<T: Scalar>(plan: &StepPlan<T>, e: usize) -> PointNoise<T> {
    match plan.point(e) {
        Query::Baseline => PointNoise {
            probe: None,
            scale: T::ZERO,
        },
        Query::Probe { probe, .. } => PointNoise {
            probe: Some(probe),
            scale: plan.scale(e),
        },
    }
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

    /// How each weight matrix's noise enters a low-rank population, checked
    /// against the model's blocks.
    fn population_noise(&self, layout: &ParamLayout) -> Result<[MatrixNoise; 3], NetError> {
        let (i, h, o) = (self.input_dim(), self.hidden_dim(), self.output_dim());
        let blocks = layout.blocks();
        if blocks.len() != 5 {
            return Err(NetError::PlanLayout {
                what: "an RNN layout has five blocks [W_in, W_hh, b, W_out, b_out]",
            });
        }
        let weight = |block: Block, rows: usize, cols: usize, what| match block {
            Block::Matrix { rows: r, cols: c } if (r, c) == (rows, cols) => {
                Ok(MatrixNoise::LowRank)
            }
            Block::Vector { len } if len == rows * cols => Ok(MatrixNoise::Dense),
            _ => Err(NetError::PlanLayout { what }),
        };
        let bias = |block: Block, len: usize, what| match block {
            Block::Vector { len: l } if l == len => Ok(()),
            _ => Err(NetError::PlanLayout { what }),
        };
        let w_in = weight(blocks[0], h, i, "block 0 must be W_in (H x I)")?;
        let w_hh = weight(blocks[1], h, h, "block 1 must be W_hh (H x H)")?;
        bias(
            blocks[2],
            h,
            "block 2 must be the hidden bias (a vector of H)",
        )?;
        let w_out = weight(blocks[3], o, h, "block 3 must be W_out (O x H)")?;
        bias(
            blocks[4],
            o,
            "block 4 must be the output bias (a vector of O)",
        )?;
        Ok([w_in, w_hh, w_out])
    }

    /// The loss ([`Rnn::loss`], streamed mean squared error after the
    /// washout) of every point of `plan` around the parameters `params`, in
    /// plan order, evaluated as one population (see the [module
    /// docs](crate::rnn_population)). `params` are the parameters the plan
    /// was made for.
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
        let view = self.checked_view(params)?;
        if plan.dim() != params.len() {
            return Err(NetError::ShapeMismatch {
                what: "parameters of the step plan",
                expected: params.len(),
                got: plan.dim(),
            });
        }
        if losses.len() != plan.len() {
            return Err(NetError::ShapeMismatch {
                what: "losses (one per point of the plan)",
                expected: plan.len(),
                got: losses.len(),
            });
        }
        if ws.dims != (self.input_dim(), self.hidden_dim(), self.output_dim()) {
            return Err(NetError::WorkspaceMismatch {
                what: "model dimensions",
            });
        }
        self.validate(inputs, Some(targets), washout)?;
        let noise = plan.noise();
        match noise.layout().filter(|_| noise.rank().is_some()) {
            None => self.lockstep(params, plan, inputs, targets, washout, ws)?,
            Some(layout) => {
                let kinds = self.population_noise(layout)?;
                self.prepare_low_rank(params, plan, kinds, ws);
                dispatch(LowRankSweep {
                    params: view,
                    kinds,
                    rank: noise.rank().unwrap_or(1),
                    inputs,
                    targets,
                    washout,
                    ws: &mut *ws,
                });
            }
        }
        let scored = T::from_usize((inputs.nrows() - washout) * self.output_dim());
        for (l, s) in losses.iter_mut().zip(&ws.sse) {
            *l = *s / scored;
        }
        Ok(())
    }

    /// The loss of every point of `points` (any population method's full-rank
    /// points around `params`, e.g. a SNES step's), in point order: the
    /// points are built and advanced in lockstep with the single-point
    /// kernel, so each loss is bit for bit [`Rnn::loss_at`] of its point.
    ///
    /// Errors: as [`Rnn::plan_losses`].
    #[allow(clippy::too_many_arguments)]
    pub fn population_losses<P: Population<T>>(
        &self,
        params: &[T],
        points: &P,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &mut RnnPopulationWorkspace<T>,
        losses: &mut [T],
    ) -> Result<(), NetError> {
        self.checked_view(params)?;
        if points.dim() != params.len() || losses.len() != points.len() {
            return Err(NetError::ShapeMismatch {
                what: "losses (one per point of the population)",
                expected: points.len(),
                got: losses.len(),
            });
        }
        if ws.dims != (self.input_dim(), self.hidden_dim(), self.output_dim()) {
            return Err(NetError::WorkspaceMismatch {
                what: "model dimensions",
            });
        }
        self.validate(inputs, Some(targets), washout)?;
        self.lockstep(params, points, inputs, targets, washout, ws)?;
        let scored = T::from_usize((inputs.nrows() - washout) * self.output_dim());
        for (l, s) in losses.iter_mut().zip(&ws.sse) {
            *l = *s / scored;
        }
        Ok(())
    }

    /// Full-rank noise: builds every point and advances them in lockstep
    /// with the single-point kernel.
    fn lockstep<P: Population<T>>(
        &self,
        params: &[T],
        plan: &P,
        inputs: MatRef<'_, T>,
        targets: MatRef<'_, T>,
        washout: usize,
        ws: &mut RnnPopulationWorkspace<T>,
    ) -> Result<(), NetError> {
        let (p, e_len, h, o) = (
            params.len(),
            plan.len(),
            self.hidden_dim(),
            self.output_dim(),
        );
        sized(&mut ws.points, p * e_len);
        ws.base.clear();
        ws.base.extend_from_slice(params);
        for (e, point) in ws.points.chunks_exact_mut(p).enumerate() {
            plan.build_point(e, &mut ws.base, point)
                .map_err(|_| NetError::PlanLayout {
                    what: "the plan does not fit the parameters",
                })?;
        }
        sized(&mut ws.hs, h * e_len);
        sized(&mut ws.next, h * e_len);
        sized(&mut ws.y, o * e_len);
        sized(&mut ws.sse, e_len);
        dispatch(Lockstep {
            net: self,
            inputs,
            targets,
            washout,
            ws,
        });
        Ok(())
    }

    /// Low-rank noise: every point's factors (or dense noise) of the three
    /// weight matrices, biases and coefficients, point-minor, into the
    /// workspace.
    fn prepare_low_rank(
        &self,
        params: &[T],
        plan: &StepPlan<T>,
        kinds: [MatrixNoise; 3],
        ws: &mut RnnPopulationWorkspace<T>,
    ) {
        let (i, h, o) = (self.input_dim(), self.hidden_dim(), self.output_dim());
        let noise = plan.noise();
        let rank = noise.rank().unwrap_or(1);
        let e_len = plan.len();
        let ep = e_len.div_ceil(POINT_PAD) * POINT_PAD;
        let inv = noise.rank_scale::<T>();
        let layout = self.layout();
        sized(&mut ws.coef, ep);
        sized(&mut ws.scale, ep);
        for e in 0..e_len {
            let pn = point_noise(plan, e);
            ws.scale[e] = pn.scale;
            ws.coef[e] = pn.scale * inv;
        }
        // The noise of each probe once, then spread over its points.
        let shapes = [
            (h, i, layout.w_in.start, 0),
            (h, h, layout.w_hh.start, 1),
            (o, h, layout.w_out.start, 3),
        ];
        let mut one = core::mem::take(&mut ws.u);
        for ((buf, (rows, cols, offset, block)), kind) in
            [&mut ws.w_in, &mut ws.w_hh, &mut ws.w_out]
                .into_iter()
                .zip(shapes)
                .zip(kinds)
        {
            let per_point = match kind {
                MatrixNoise::LowRank => (rows + cols) * rank,
                MatrixNoise::Dense => rows * cols,
            };
            sized(buf, per_point * ep);
            sized(&mut one, per_point);
            for e in 0..e_len {
                let Some(k) = point_noise(plan, e).probe else {
                    continue;
                };
                match kind {
                    MatrixNoise::LowRank => {
                        let (a, b) = one.split_at_mut(rows * rank);
                        noise.factors(k, block, a, b);
                    }
                    MatrixNoise::Dense => noise.fill(k, offset, &mut one),
                }
                for (q, &value) in one.iter().enumerate() {
                    buf[q * ep + e] = value;
                }
            }
        }
        // Each point's biases `b + s_e z_b`, point-minor.
        sized(&mut ws.bias, h * ep);
        sized(&mut ws.bias_out, o * ep);
        for (dst, range, len) in [
            (&mut ws.bias, layout.bias.clone(), h),
            (&mut ws.bias_out, layout.bias_out.clone(), o),
        ] {
            let base = &params[range.clone()];
            sized(&mut one, len);
            for e in 0..e_len {
                let pn = point_noise(plan, e);
                match pn.probe {
                    Some(k) => noise.fill(k, range.start, &mut one),
                    None => one.fill(T::ZERO),
                }
                for (q, (&b, &z)) in base.iter().zip(one.iter()).enumerate() {
                    dst[q * ep + e] = if pn.probe.is_some() {
                        b + pn.scale * z
                    } else {
                        b
                    };
                }
            }
        }
        ws.u = one;
        sized(&mut ws.u, 2 * rank * ep);
        sized(&mut ws.hs, h * ep);
        sized(&mut ws.next, h * ep);
        sized(&mut ws.y, o * ep);
        sized(&mut ws.v, h);
        sized(&mut ws.x, i);
        sized(&mut ws.sse, ep);
    }
}

/// `out = W H_s` for a column-major `m x n` matrix `W` and point-minor
/// `H_s` (`n x ep`): rows in blocks of 4 with AVX2 when available, the
/// remaining rows here, all in the same order of operations.
#[inline(always)]
fn product<I: Isa, T: Scalar>(w: &[T], m: usize, n: usize, hs: &[T], ep: usize, out: &mut [T]) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if I::AVX2 {
        // SAFETY: `I::AVX2` holds only inside `vmath::dispatch`'s AVX2 copy.
        done = unsafe { T::population_product(w, m, n, hs, ep, out) };
    }
    for i in done..m {
        let row = &mut out[i * ep..(i + 1) * ep];
        row.fill(T::ZERO);
        for j in 0..n {
            let wij = w[j * m + i];
            for (r, &h) in row.iter_mut().zip(&hs[j * ep..(j + 1) * ep]) {
                *r += wij * h;
            }
        }
    }
}

/// `row += c ∘ a` over the points.
#[inline(always)]
fn add_product<T: Scalar>(row: &mut [T], c: &[T], a: &[T]) {
    for ((r, &ci), &ai) in row.iter_mut().zip(c).zip(a) {
        *r += ci * ai;
    }
}

/// The input of a correction: each point's own vector (point-minor,
/// `cols x ep`) or one vector shared by every point.
#[derive(Clone, Copy)]
enum Input<'a, T> {
    PerPoint(&'a [T]),
    Shared(&'a [T]),
}

/// `z += c_e A_e (B_e^T x_e)` (low-rank, factors point-minor) or `z += s_e
/// Z_e x_e` (dense), for every point at once; `z` is `rows x ep`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn correction<T: Scalar>(
    z: &mut [T],
    rows: usize,
    cols: usize,
    kind: MatrixNoise,
    noise: &[T],
    rank: usize,
    coef: &[T],
    scale: &[T],
    x: Input<'_, T>,
    u: &mut [T],
) {
    let ep = coef.len();
    match kind {
        MatrixNoise::LowRank => {
            let (a, b) = noise.split_at(rows * rank * ep);
            for l in 0..rank {
                // u = c ∘ (B_l^T x), the sum over j in order.
                u.fill(T::ZERO);
                for j in 0..cols {
                    let bj = &b[(l * cols + j) * ep..(l * cols + j + 1) * ep];
                    match x {
                        Input::PerPoint(x) => {
                            for ((s, &bv), &xv) in
                                u.iter_mut().zip(bj).zip(&x[j * ep..(j + 1) * ep])
                            {
                                *s += bv * xv;
                            }
                        }
                        Input::Shared(x) => {
                            let xv = x[j];
                            for (s, &bv) in u.iter_mut().zip(bj) {
                                *s += bv * xv;
                            }
                        }
                    }
                }
                for (ui, &c) in u.iter_mut().zip(coef) {
                    *ui *= c;
                }
                for i in 0..rows {
                    let ai = &a[(l * rows + i) * ep..(l * rows + i + 1) * ep];
                    add_product(&mut z[i * ep..(i + 1) * ep], u, ai);
                }
            }
        }
        MatrixNoise::Dense => {
            for j in 0..cols {
                match x {
                    Input::PerPoint(x) => {
                        for ((ui, &xv), &s) in u.iter_mut().zip(&x[j * ep..(j + 1) * ep]).zip(scale)
                        {
                            *ui = s * xv;
                        }
                    }
                    Input::Shared(x) => {
                        let xv = x[j];
                        for (ui, &s) in u.iter_mut().zip(scale) {
                            *ui = s * xv;
                        }
                    }
                }
                for i in 0..rows {
                    let zj = &noise[(j * rows + i) * ep..(j * rows + i + 1) * ep];
                    add_product(&mut z[i * ep..(i + 1) * ep], u, zj);
                }
            }
        }
    }
}

/// The low-rank population loop.
struct LowRankSweep<'a, 'd, T> {
    params: RnnParams<'a, T>,
    kinds: [MatrixNoise; 3],
    rank: usize,
    inputs: MatRef<'d, T>,
    targets: MatRef<'d, T>,
    washout: usize,
    ws: &'a mut RnnPopulationWorkspace<T>,
}

impl<T: Scalar> Kernel for LowRankSweep<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self) {
        let Self {
            params: p,
            kinds: [k_in, k_hh, k_out],
            rank,
            inputs,
            targets,
            washout,
            ws,
        } = self;
        let (h, o) = (p.hidden_dim, p.output_dim);
        let i_dim = inputs.ncols();
        let ep = ws.coef.len();
        let mut u = core::mem::take(&mut ws.u);
        ws.hs.fill(T::ZERO);
        ws.sse.fill(T::ZERO);
        for t in 0..inputs.nrows() {
            for (k, xk) in ws.x.iter_mut().enumerate() {
                *xk = inputs[(t, k)];
            }
            // The shared input product `W_in x_t`.
            for (i, v) in ws.v.iter_mut().enumerate() {
                let mut s = T::ZERO;
                for (k, &xk) in ws.x.iter().enumerate() {
                    s += p.w_in[k * h + i] * xk;
                }
                *v = s;
            }
            // The shared recurrent product `W_hh H_s`, then biases, input,
            // corrections and `tanh`.
            product::<I, T>(p.w_hh, h, h, &ws.hs, ep, &mut ws.next);
            if k_hh == MatrixNoise::LowRank && k_in == MatrixNoise::LowRank {
                // One pass per row: `u_l = c ∘ (B_l^T h)` and `c ∘ (B_in,l^T
                // x)` first, then each row's sum and `tanh`.
                let (u_hh, rest) = u.split_at_mut(rank * ep);
                let u_in = &mut rest[..rank * ep];
                let (a_hh, b_hh) = ws.w_hh.split_at(h * rank * ep);
                let (a_in, b_in) = ws.w_in.split_at(h * rank * ep);
                for l in 0..rank {
                    let uh = &mut u_hh[l * ep..(l + 1) * ep];
                    uh.fill(T::ZERO);
                    for j in 0..h {
                        let bj = &b_hh[(l * h + j) * ep..(l * h + j + 1) * ep];
                        for ((s, &bv), &hv) in
                            uh.iter_mut().zip(bj).zip(&ws.hs[j * ep..(j + 1) * ep])
                        {
                            *s += bv * hv;
                        }
                    }
                    let ui = &mut u_in[l * ep..(l + 1) * ep];
                    ui.fill(T::ZERO);
                    for (k, &xk) in ws.x.iter().enumerate() {
                        let bk = &b_in[(l * i_dim + k) * ep..(l * i_dim + k + 1) * ep];
                        for (s, &bv) in ui.iter_mut().zip(bk) {
                            *s += bv * xk;
                        }
                    }
                    for ((a, b), &c) in uh.iter_mut().zip(ui.iter_mut()).zip(&ws.coef) {
                        *a *= c;
                        *b *= c;
                    }
                }
                for i in 0..h {
                    let row = &mut ws.next[i * ep..(i + 1) * ep];
                    let vi = ws.v[i];
                    for (z, &b) in row.iter_mut().zip(&ws.bias[i * ep..(i + 1) * ep]) {
                        *z = (*z + b) + vi;
                    }
                    for l in 0..rank {
                        add_product(
                            row,
                            &u_hh[l * ep..(l + 1) * ep],
                            &a_hh[(l * h + i) * ep..(l * h + i + 1) * ep],
                        );
                        add_product(
                            row,
                            &u_in[l * ep..(l + 1) * ep],
                            &a_in[(l * h + i) * ep..(l * h + i + 1) * ep],
                        );
                    }
                    for z in row.iter_mut() {
                        *z = z.vtanh();
                    }
                }
            } else {
                for i in 0..h {
                    let row = &mut ws.next[i * ep..(i + 1) * ep];
                    let vi = ws.v[i];
                    for (z, &b) in row.iter_mut().zip(&ws.bias[i * ep..(i + 1) * ep]) {
                        *z = (*z + b) + vi;
                    }
                }
                correction(
                    &mut ws.next,
                    h,
                    h,
                    k_hh,
                    &ws.w_hh,
                    rank,
                    &ws.coef,
                    &ws.scale,
                    Input::PerPoint(&ws.hs),
                    &mut u[..ep],
                );
                correction(
                    &mut ws.next,
                    h,
                    i_dim,
                    k_in,
                    &ws.w_in,
                    rank,
                    &ws.coef,
                    &ws.scale,
                    Input::Shared(&ws.x),
                    &mut u[..ep],
                );
                for z in ws.next.iter_mut() {
                    *z = z.vtanh();
                }
            }
            core::mem::swap(&mut ws.hs, &mut ws.next);
            if t < washout {
                continue;
            }
            product::<I, T>(p.w_out, o, h, &ws.hs, ep, &mut ws.y);
            for (y, &b) in ws.y.iter_mut().zip(&ws.bias_out) {
                *y += b;
            }
            correction(
                &mut ws.y,
                o,
                h,
                k_out,
                &ws.w_out,
                rank,
                &ws.coef,
                &ws.scale,
                Input::PerPoint(&ws.hs),
                &mut u[..ep],
            );
            for oi in 0..o {
                let target = targets[(t, oi)];
                for (s, &y) in ws.sse.iter_mut().zip(&ws.y[oi * ep..(oi + 1) * ep]) {
                    let d = y - target;
                    *s += d * d;
                }
            }
        }
        ws.u = u;
    }
}

/// The full-rank lockstep loop: one time step of every built point, then the next.
struct Lockstep<'a, 'd, T> {
    net: &'a Rnn<T>,
    inputs: MatRef<'d, T>,
    targets: MatRef<'d, T>,
    washout: usize,
    ws: &'a mut RnnPopulationWorkspace<T>,
}

impl<T: Scalar> Kernel for Lockstep<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self) {
        let Self {
            net,
            inputs,
            targets,
            washout,
            ws,
        } = self;
        let (h, o, p) = (net.hidden_dim(), net.output_dim(), net.num_params());
        let points = ws.sse.len();
        for t in 0..inputs.nrows() {
            let x = inputs.subrows(t, 1).transpose();
            for e in 0..points {
                let view = net.view(&ws.points[e * p..(e + 1) * p]);
                view.step::<I>(
                    x,
                    &ws.hs[e * h..(e + 1) * h],
                    &mut ws.next[e * h..(e + 1) * h],
                );
                if t >= washout {
                    let y = &mut ws.y[e * o..(e + 1) * o];
                    view.readout::<I>(&ws.next[e * h..(e + 1) * h], y);
                    let mut sum = ws.sse[e];
                    for (oi, &yi) in y.iter().enumerate() {
                        let d = yi - targets[(t, oi)];
                        sum += d * d;
                    }
                    ws.sse[e] = sum;
                }
            }
            core::mem::swap(&mut ws.hs, &mut ws.next);
        }
    }
}
