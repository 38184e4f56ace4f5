//! The low-rank population sweep of the Elman RNN: every point `w + c_e A_e B_e^T` of a step plan shares the base matrices, so the states of all points advance by one shared product per time step plus per-point rank-`r` corrections.
//!
//! Every per-point quantity is stored *point-minor*: row `i` of an `H x ep`
//! block holds unit `i` of every point (`ep` the number of points padded to
//! a multiple of 16), so each operation on the population is a
//! loop over contiguous points that vectorises, with no per-point
//! horizontal sum. See [`crate::rnn_population`] for what the sweep computes
//! and `rnn_low_rank_setup` for how the workspace is prepared.

use faer::MatRef;

use crate::Scalar;
use crate::rnn_forward::RnnParams;
use crate::rnn_low_rank_setup::MatrixNoise;
use crate::rnn_population::RnnPopulationWorkspace;
use crate::vmath::{Isa, Kernel, tanh_by_vector};

/// The terms the low-rank sweep adds to each row `i` of the shared product,
/// per point `e` and in this order: `(z + bias[i ep + e]) + v[i]`, then for
/// each factor `l`: `+ u_hh[l ep + e] a_hh[(l H + i) ep + e]` and `+
/// u_in[l ep + e] a_in[(l H + i) ep + e]` (`H` the rows of the product).
#[derive(Debug, Clone, Copy)]
pub struct Sums<'a, T> {
    /// Each point's hidden bias, `H x ep`.
    pub bias: &'a [T],
    /// The shared input product `W_in x`, `H`.
    pub v: &'a [T],
    /// The rank `r` of the factors.
    pub rank: usize,
    /// `c ∘ (B_hh,l^T h)`, `r x ep`.
    pub u_hh: &'a [T],
    /// The `A` factors of `W_hh`, `(r H) x ep`.
    pub a_hh: &'a [T],
    /// `c ∘ (B_in,l^T x)`, `r x ep`.
    pub u_in: &'a [T],
    /// The `A` factors of `W_in`, `(r H) x ep`.
    pub a_in: &'a [T],
}

/// A weight matrix every point shares, `m x n` column-major, with a copy
/// of its whole blocks of 4 rows packed for the AVX2 product (`packed[(b n +
/// j) 4 + r]` is row `4 b + r` of column `j`), so that a block's weights are
/// one contiguous stream.
#[derive(Debug, Clone, Copy)]
pub struct Shared<'a, T> {
    /// The matrix, column-major.
    pub w: &'a [T],
    /// Its blocks of 4 rows, packed (`4 floor(m / 4) n` values).
    pub packed: &'a [T],
    /// Rows.
    pub m: usize,
    /// Columns.
    pub n: usize,
}

/// Rows `rows` of `out = W H_s` for a column-major `m x n` matrix `W` and
/// point-minor `H_s` (`n x ep`), with AVX2 when available, in the same
/// order of operations either way.
#[inline(always)]
fn product_rows<I: Isa, T: Scalar>(
    w: &Shared<'_, T>,
    hs: &[T],
    ep: usize,
    out: &mut [T],
    rows: core::ops::Range<usize>,
) {
    let (m, n) = (w.m, w.n);
    #[cfg(target_arch = "x86_64")]
    if I::AVX2 {
        // SAFETY: `I::AVX2` holds only inside `vmath::dispatch`'s AVX2 copy.
        unsafe { T::shared_product_rows(w, hs, ep, out, rows, 0..ep, None) };
        return;
    }
    let w = w.w;
    for i in rows {
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

/// `out[e] = 0 + sum_j b[j ep + e] hs[j ep + e]` over `n` rows, in order
/// of `j`, for every point.
#[inline(always)]
fn columns_dot<I: Isa, T: Scalar>(b: &[T], hs: &[T], n: usize, ep: usize, out: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    if I::AVX2 {
        // SAFETY: `I::AVX2` holds only inside `vmath::dispatch`'s AVX2 copy.
        unsafe { T::columns_dot(b, hs, n, ep, out) };
        return;
    }
    out.fill(T::ZERO);
    for j in 0..n {
        for ((s, &bv), &hv) in out
            .iter_mut()
            .zip(&b[j * ep..(j + 1) * ep])
            .zip(&hs[j * ep..(j + 1) * ep])
        {
            *s += bv * hv;
        }
    }
}

/// The hidden pre-activations and states of the points `points` (a range
/// of whole chunks): per block of [`ROW_BLOCK`] rows, `W_hh H_s` plus the
/// terms of `sums` (see [`Sums`]) in that order (with AVX2 in registers
/// where available), then the block's `tanh`, whose long dependency chains
/// overlap the next block's product.
#[inline(always)]
fn summed_rows<I: Isa, T: Scalar>(
    w: &Shared<'_, T>,
    hs: &[T],
    ep: usize,
    out: &mut [T],
    points: core::ops::Range<usize>,
    sums: &Sums<'_, T>,
) {
    let h = w.m;
    for i0 in (0..h).step_by(ROW_BLOCK) {
        let rows = i0..(i0 + ROW_BLOCK).min(h);
        let mut done = false;
        #[cfg(target_arch = "x86_64")]
        if I::AVX2 {
            // SAFETY: `I::AVX2` holds only inside `vmath::dispatch`'s AVX2
            // copy; the sums' lengths follow from `prepare_low_rank`.
            unsafe {
                T::shared_product_rows(w, hs, ep, out, rows.clone(), points.clone(), Some(sums));
            }
            done = true;
        }
        for i in rows.clone().filter(|_| !done) {
            let row = &mut out[i * ep + points.start..i * ep + points.end];
            row.fill(T::ZERO);
            for j in 0..h {
                let wij = w.w[j * h + i];
                for (r, &hv) in row
                    .iter_mut()
                    .zip(&hs[j * ep + points.start..j * ep + points.end])
                {
                    *r += wij * hv;
                }
            }
            let vi = sums.v[i];
            let at = |k: usize| k + points.start..k + points.end;
            for (z, &b) in row.iter_mut().zip(&sums.bias[at(i * ep)]) {
                *z = (*z + b) + vi;
            }
            for l in 0..sums.rank {
                add_product(
                    row,
                    &sums.u_hh[at(l * ep)],
                    &sums.a_hh[at((l * h + i) * ep)],
                );
                add_product(
                    row,
                    &sums.u_in[at(l * ep)],
                    &sums.a_in[at((l * h + i) * ep)],
                );
            }
        }
        for i in rows {
            tanh_by_vector(&mut out[i * ep + points.start..i * ep + points.end]);
        }
    }
}

/// `out = W H_s` (every row; see [`product_rows`]).
#[inline(always)]
fn product<I: Isa, T: Scalar>(w: &Shared<'_, T>, hs: &[T], ep: usize, out: &mut [T]) {
    product_rows::<I, T>(w, hs, ep, out, 0..w.m);
}

/// Rows per block of the fused sweep: the product of a block, its sums and
/// its `tanh`, before the next block.
const ROW_BLOCK: usize = 4;

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
fn correction<I: Isa, T: Scalar>(
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
                let b_l = &b[l * cols * ep..(l + 1) * cols * ep];
                match x {
                    Input::PerPoint(x) => columns_dot::<I, T>(b_l, x, cols, ep, u),
                    Input::Shared(x) => {
                        u.fill(T::ZERO);
                        for (j, bj) in b_l.chunks_exact(ep).enumerate() {
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
pub(crate) struct LowRankSweep<'a, 'd, T> {
    pub(crate) params: RnnParams<'a, T>,
    pub(crate) kinds: [MatrixNoise; 3],
    pub(crate) rank: usize,
    pub(crate) inputs: MatRef<'d, T>,
    pub(crate) targets: MatRef<'d, T>,
    pub(crate) washout: usize,
    pub(crate) ws: &'a mut RnnPopulationWorkspace<T>,
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
        let (w_hh_packed, w_out_packed) = (
            core::mem::take(&mut ws.w_hh_packed),
            core::mem::take(&mut ws.w_out_packed),
        );
        let w_hh = Shared {
            w: p.w_hh,
            packed: &w_hh_packed,
            m: h,
            n: h,
        };
        let w_out = Shared {
            w: p.w_out,
            packed: &w_out_packed,
            m: o,
            n: h,
        };
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
            let low_rank = k_hh == MatrixNoise::LowRank && k_in == MatrixNoise::LowRank;
            if low_rank {
                // `u_l = c ∘ (B_l^T h)` and `c ∘ (B_in,l^T x)` first, then
                // blocks of rows: the product, each row's sum, the block's
                // `tanh` (whose long dependency chains then overlap the next
                // block's product).
                let (u_hh, rest) = u.split_at_mut(rank * ep);
                let u_in = &mut rest[..rank * ep];
                let (a_hh, b_hh) = ws.w_hh.split_at(h * rank * ep);
                let (a_in, b_in) = ws.w_in.split_at(h * rank * ep);
                for l in 0..rank {
                    let uh = &mut u_hh[l * ep..(l + 1) * ep];
                    columns_dot::<I, T>(&b_hh[l * h * ep..(l + 1) * h * ep], &ws.hs, h, ep, uh);
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
                let sums = Sums {
                    bias: &ws.bias,
                    v: &ws.v,
                    rank,
                    u_hh,
                    a_hh,
                    u_in,
                    a_in,
                };
                // A chunk of points at a time, so that its states stay in
                // the L1 cache while the rows stream past (H = 256: 16 KB).
                let chunk = 2 * T::LANES;
                for e0 in (0..ep).step_by(chunk) {
                    summed_rows::<I, T>(&w_hh, &ws.hs, ep, &mut ws.next, e0..e0 + chunk, &sums);
                }
            } else {
                product::<I, T>(&w_hh, &ws.hs, ep, &mut ws.next);
                for i in 0..h {
                    let row = &mut ws.next[i * ep..(i + 1) * ep];
                    let vi = ws.v[i];
                    for (z, &b) in row.iter_mut().zip(&ws.bias[i * ep..(i + 1) * ep]) {
                        *z = (*z + b) + vi;
                    }
                }
                correction::<I, T>(
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
                correction::<I, T>(
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
                tanh_by_vector(&mut ws.next);
            }
            core::mem::swap(&mut ws.hs, &mut ws.next);
            if t < washout {
                continue;
            }
            product::<I, T>(&w_out, &ws.hs, ep, &mut ws.y);
            for (y, &b) in ws.y.iter_mut().zip(&ws.bias_out) {
                *y += b;
            }
            correction::<I, T>(
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
        ws.w_hh_packed = w_hh_packed;
        ws.w_out_packed = w_out_packed;
    }
}
