//! Explicit AVX2 kernels of the RNN's point-minor populations (x86-64 only): one point per SIMD lane, with exactly the IEEE operations of the single-point kernels.
//!
//! **Shared weights** (the low-rank sweep): the points' states `H_s` are
//! stored point-minor (`hs[j ep + e]`, `ep` the padded number of points),
//! and [`LanesAvx2::shared_product_rows`] multiplies them by one matrix
//! every point shares, `W` broadcast against vectors of points.
//!
//! **Own weights** (full-rank groups): a group of `L` points (8 `f32` or 4 `f64`, one AVX2 vector) is stored
//! *point-minor*: value `q` of every point side by side (`wt[q L + l]` is
//! value `q` of point `l`), and so are the hidden states (`hs[j L + l]`).
//! Each vector operation then performs, for every point at once, the
//! operation the single-point kernel performs on that point's value: a
//! row's pre-activation is `b_i`, then `+ w * x_k` for each input, then `+ w
//! * h_j` for each `j`, and the readout sums its products in the 8
//! interleaved partial sums of `rnn_forward`, combined in the same tree. So
//! every point's values are bit for bit those of [`crate::Rnn::loss_at`].
//!
//! Every function here must only be called on a CPU with AVX2.

use core::arch::x86_64::*;

use crate::rnn_low_rank::{Shared, Sums};

/// The lane-parallel step and readout, for one element type.
pub trait LanesAvx2: Copy {
    /// Pre-activations `next = b + W_in x + W_hh hs` of a point-minor group
    /// (`L` points per vector): `bias_t` is `H x L`, `wt_in` `(H I) x L`,
    /// `wt_hh` `(H H) x L` (the column-major matrices' values, each
    /// point-minor), `hs` and `next` `H x L`; `x` is the input (`I` values)
    /// every point shares.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    unsafe fn lanes_pre_activations(
        wt_in: &[Self],
        x: &[Self],
        wt_hh: &[Self],
        bias_t: &[Self],
        hs: &[Self],
        next: &mut [Self],
    );

    /// Readouts `y = W_out hs + b_out` of a point-minor group: `wt_out` is
    /// `(O H) x L`, `bias_out_t` and `y` `O x L`, `hs` `H x L`.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    unsafe fn lanes_readout(wt_out: &[Self], bias_out_t: &[Self], hs: &[Self], y: &mut [Self]);

    /// Rows `rows` (starting at a multiple of 4) of a population's product
    /// `out = W H_s`, for the points `points` (a range of whole pairs of
    /// vectors): `W` is `m x n` (shared by every point; blocks of 4 rows
    /// read from its packed copy), `H_s` (`n x ep`) and `out` (`m x ep`)
    /// point-minor, `ep` a multiple of two vectors. Each entry
    /// is `0 + w_0 h_0 + w_1 h_1 + ...` in order of `j`, one rounding per
    /// multiplication and addition (the portable code's order). With
    /// `sums`, each row `i` of the block then gets, in registers, the
    /// low-rank sweep's pre-activation terms in its order (see [`Sums`]).
    ///
    /// # Safety
    /// The CPU must support AVX2, and `sums` (when given) must hold the
    /// lengths its fields document for `m` rows and rank `sums.rank`.
    unsafe fn shared_product_rows(
        w: &Shared<'_, Self>,
        hs: &[Self],
        ep: usize,
        out: &mut [Self],
        rows: core::ops::Range<usize>,
        points: core::ops::Range<usize>,
        sums: Option<&Sums<'_, Self>>,
    );

    /// `out[e] = 0 + b[0 ep + e] hs[0 ep + e] + b[1 ep + e] hs[1 ep + e] +
    /// ...` over `n` rows, for every point `e < ep` (`ep` a multiple of two
    /// vectors): a low-rank factor's `B^T h` for every point at once.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    unsafe fn columns_dot(b: &[Self], hs: &[Self], n: usize, ep: usize, out: &mut [Self]);
}

macro_rules! impl_lanes {
    (
        $t:ty, $v:ty, lanes: $lanes:expr,
        splat: $splat:ident, load: $load:ident, store: $store:ident,
        add: $add:ident, mul: $mul:ident, zero: $zero:ident,
        block: $block:ident, shared: $shared:ident
    ) => {
        /// Rows `i0..i0 + R` of a lane-parallel step.
        ///
        /// # Safety
        /// AVX2, and the lengths asserted by `lanes_pre_activations` with
        /// `i0 + R <= H`.
        #[allow(clippy::too_many_arguments)]
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn $block<const R: usize>(
            i0: usize,
            h: usize,
            wt_in: &[$t],
            x: &[$t],
            wt_hh: &[$t],
            bias_t: &[$t],
            hs: &[$t],
            next: &mut [$t],
        ) {
            const L: usize = $lanes;
            // SAFETY (every pointer below): rows i0..i0 + R of the checked
            // H x L, (H I) x L and (H H) x L blocks.
            unsafe {
                let mut acc = [$zero(); R];
                for (r, a) in acc.iter_mut().enumerate() {
                    *a = $load(bias_t.as_ptr().add((i0 + r) * L));
                }
                for (k, &xk) in x.iter().enumerate() {
                    let xk = $splat(xk);
                    let col = wt_in.as_ptr().add((k * h + i0) * L);
                    for (r, a) in acc.iter_mut().enumerate() {
                        *a = $add(*a, $mul($load(col.add(r * L)), xk));
                    }
                }
                for j in 0..h {
                    let hj = $load(hs.as_ptr().add(j * L));
                    let col = wt_hh.as_ptr().add((j * h + i0) * L);
                    for (r, a) in acc.iter_mut().enumerate() {
                        *a = $add(*a, $mul($load(col.add(r * L)), hj));
                    }
                }
                for (r, a) in acc.iter().enumerate() {
                    $store(next.as_mut_ptr().add((i0 + r) * L), *a);
                }
            }
        }

        /// Rows `i0..i0 + R` of a shared `m x n` product for the points
        /// `points`, with the sweep's terms when `sums` is given (see
        /// [`LanesAvx2::shared_product_rows`]). `w` is column-major (`stride
        /// = m`) or, for `R = 4`, the packed blocks (`stride = 4`).
        ///
        /// # Safety
        /// AVX2, the lengths asserted by `shared_product_rows`, `i0 + R <=
        /// m`.
        #[allow(clippy::too_many_arguments)]
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn $shared<const R: usize, const V: usize>(
            w: &[$t],
            stride: usize,
            m: usize,
            n: usize,
            hs: &[$t],
            ep: usize,
            out: &mut [$t],
            i0: usize,
            points: core::ops::Range<usize>,
            sums: Option<&Sums<'_, $t>>,
        ) {
            // SAFETY (every pointer below): rows i0..i0 + R <= m of columns
            // of length m, lanes e0..e0 + V lanes <= points.end <= ep of rows
            // of length ep, within the lengths the caller asserted.
            unsafe {
                for e0 in points.step_by(V * $lanes) {
                    let mut acc = [[$zero(); V]; R];
                    let mut row = hs.as_ptr().add(e0);
                    // Column-major (stride m) or a packed block (stride 4,
                    // the block's columns one after another).
                    let mut col = if stride == 4 && R == 4 {
                        w.as_ptr().add(i0 * n)
                    } else {
                        w.as_ptr().add(i0)
                    };
                    for _ in 0..n {
                        let h: [$v; V] = core::array::from_fn(|v| $load(row.add(v * $lanes)));
                        for (r, a) in acc.iter_mut().enumerate() {
                            let wr = $splat(*col.add(r));
                            for (a, &h) in a.iter_mut().zip(&h) {
                                *a = $add(*a, $mul(wr, h));
                            }
                        }
                        row = row.add(ep);
                        col = col.add(stride);
                    }
                    if let Some(s) = sums {
                        let at = |v: &[$t], k: usize| v.as_ptr().add(k);
                        for (r, a) in acc.iter_mut().enumerate() {
                            let i = i0 + r;
                            let vi = $splat(*s.v.as_ptr().add(i));
                            for (v, a) in a.iter_mut().enumerate() {
                                let e = e0 + v * $lanes;
                                *a = $add($add(*a, $load(at(s.bias, i * ep + e))), vi);
                                for l in 0..s.rank {
                                    let uh = $load(at(s.u_hh, l * ep + e));
                                    let ah = $load(at(s.a_hh, (l * m + i) * ep + e));
                                    *a = $add(*a, $mul(uh, ah));
                                    let ui = $load(at(s.u_in, l * ep + e));
                                    let ai = $load(at(s.a_in, (l * m + i) * ep + e));
                                    *a = $add(*a, $mul(ui, ai));
                                }
                            }
                        }
                    }
                    for (r, a) in acc.iter().enumerate() {
                        for (v, a) in a.iter().enumerate() {
                            $store(out.as_mut_ptr().add((i0 + r) * ep + e0 + v * $lanes), *a);
                        }
                    }
                }
            }
        }

        impl LanesAvx2 for $t {
            #[inline]
            #[target_feature(enable = "avx2")]
            unsafe fn lanes_pre_activations(
                wt_in: &[$t],
                x: &[$t],
                wt_hh: &[$t],
                bias_t: &[$t],
                hs: &[$t],
                next: &mut [$t],
            ) {
                const L: usize = $lanes;
                let h = bias_t.len() / L;
                assert!(
                    wt_in.len() >= h * x.len() * L
                        && wt_hh.len() >= h * h * L
                        && hs.len() >= h * L
                        && next.len() >= h * L,
                    "lane-parallel step buffers do not match the hidden size"
                );
                let mut i0 = 0;
                // SAFETY: AVX2 (our caller's contract), lengths asserted,
                // each block ends at or before row h.
                unsafe {
                    while i0 + 8 <= h {
                        $block::<8>(i0, h, wt_in, x, wt_hh, bias_t, hs, next);
                        i0 += 8;
                    }
                    while i0 + 2 <= h {
                        $block::<2>(i0, h, wt_in, x, wt_hh, bias_t, hs, next);
                        i0 += 2;
                    }
                    while i0 < h {
                        $block::<1>(i0, h, wt_in, x, wt_hh, bias_t, hs, next);
                        i0 += 1;
                    }
                }
            }

            #[inline]
            #[target_feature(enable = "avx2")]
            unsafe fn shared_product_rows(
                w: &Shared<'_, $t>,
                hs: &[$t],
                ep: usize,
                out: &mut [$t],
                rows: core::ops::Range<usize>,
                points: core::ops::Range<usize>,
                sums: Option<&Sums<'_, $t>>,
            ) {
                let (m, n) = (w.m, w.n);
                assert!(
                    w.w.len() >= m * n
                        && w.packed.len() >= m / 4 * 4 * n
                        && rows.start % 4 == 0
                        && hs.len() >= n * ep
                        && out.len() >= m * ep
                        && rows.end <= m
                        && points.end <= ep
                        && ep % (2 * $lanes) == 0
                        && points.start % (2 * $lanes) == 0
                        && points.end % (2 * $lanes) == 0,
                    "population product buffers do not match"
                );
                if let Some(s) = sums {
                    let r = s.rank;
                    assert!(
                        s.bias.len() >= m * ep
                            && s.v.len() >= m
                            && s.u_hh.len() >= r * ep
                            && s.u_in.len() >= r * ep
                            && s.a_hh.len() >= r * m * ep
                            && s.a_in.len() >= r * m * ep,
                        "population sums do not match"
                    );
                }
                let mut i0 = rows.start;
                // SAFETY: AVX2 (our caller's contract), lengths asserted,
                // each block within rows.
                unsafe {
                    // 4 rows x 2 vectors: 8 accumulators, 2 states and a
                    // broadcast in registers (3 x 4 spills to the stack).
                    while i0 + 4 <= rows.end {
                        $shared::<4, 2>(w.packed, 4, m, n, hs, ep, out, i0, points.clone(), sums);
                        i0 += 4;
                    }
                    while i0 < rows.end {
                        $shared::<1, 2>(w.w, m, m, n, hs, ep, out, i0, points.clone(), sums);
                        i0 += 1;
                    }
                }
            }

            #[inline]
            #[target_feature(enable = "avx2")]
            unsafe fn columns_dot(b: &[$t], hs: &[$t], n: usize, ep: usize, out: &mut [$t]) {
                assert!(
                    b.len() >= n * ep
                        && hs.len() >= n * ep
                        && out.len() >= ep
                        && ep % (2 * $lanes) == 0,
                    "population dot buffers do not match"
                );
                // SAFETY: lanes e0..e0 + 2 lanes <= ep of rows j < n, within
                // the asserted lengths.
                unsafe {
                    for e0 in (0..ep).step_by(2 * $lanes) {
                        let (mut s0, mut s1) = ($zero(), $zero());
                        for j in 0..n {
                            let bj = b.as_ptr().add(j * ep + e0);
                            let hj = hs.as_ptr().add(j * ep + e0);
                            s0 = $add(s0, $mul($load(bj), $load(hj)));
                            s1 = $add(s1, $mul($load(bj.add($lanes)), $load(hj.add($lanes))));
                        }
                        $store(out.as_mut_ptr().add(e0), s0);
                        $store(out.as_mut_ptr().add(e0 + $lanes), s1);
                    }
                }
            }

            #[inline]
            #[target_feature(enable = "avx2")]
            unsafe fn lanes_readout(wt_out: &[$t], bias_out_t: &[$t], hs: &[$t], y: &mut [$t]) {
                const L: usize = $lanes;
                let o_dim = bias_out_t.len() / L;
                let h = hs.len() / L;
                assert!(
                    wt_out.len() >= o_dim * h * L && y.len() >= o_dim * L,
                    "lane-parallel readout buffers do not match"
                );
                let whole = h / 8 * 8;
                // SAFETY: values (o + j O) L .. + L of wt_out, j L .. + L of
                // hs and o L .. + L of bias_out_t and y, within the asserted
                // lengths.
                unsafe {
                    let w = |o: usize, j: usize| $load(wt_out.as_ptr().add((o + j * o_dim) * L));
                    let hv = |j: usize| $load(hs.as_ptr().add(j * L));
                    for o in 0..o_dim {
                        let mut s = [$zero(); 8];
                        for c in (0..whole).step_by(8) {
                            for (l, s) in s.iter_mut().enumerate() {
                                *s = $add(*s, $mul(w(o, c + l), hv(c + l)));
                            }
                        }
                        let mut sum = $add(
                            $add($add(s[0], s[4]), $add(s[2], s[6])),
                            $add($add(s[1], s[5]), $add(s[3], s[7])),
                        );
                        for j in whole..h {
                            sum = $add(sum, $mul(w(o, j), hv(j)));
                        }
                        let b = $load(bias_out_t.as_ptr().add(o * L));
                        $store(y.as_mut_ptr().add(o * L), $add(b, sum));
                    }
                }
            }
        }
    };
}

impl_lanes!(
    f32, __m256, lanes: 8,
    splat: _mm256_set1_ps, load: _mm256_loadu_ps, store: _mm256_storeu_ps,
    add: _mm256_add_ps, mul: _mm256_mul_ps, zero: _mm256_setzero_ps,
    block: lanes_block_f32, shared: shared_block_f32
);

impl_lanes!(
    f64, __m256d, lanes: 4,
    splat: _mm256_set1_pd, load: _mm256_loadu_pd, store: _mm256_storeu_pd,
    add: _mm256_add_pd, mul: _mm256_mul_pd, zero: _mm256_setzero_pd,
    block: lanes_block_f64, shared: shared_block_f64
);
