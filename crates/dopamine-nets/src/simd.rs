//! Explicit AVX2 kernels of the RNN step and readout (x86-64 only), with
//! exactly the IEEE operations of the portable code in `rnn_forward`: a
//! row's accumulator is `b_i`, then `+ w * x_k` for each input, then
//! `+ w * h_j` for each `j`, each product and sum rounded once (a
//! multiplication followed by an addition, never a fused multiply-add), and
//! the readout's 8 partial sums are the portable code's lanes.
//!
//! The compiler does not keep a block of row accumulators in vector
//! registers reliably when they are written as arrays (it kept `f64` blocks
//! on the stack, 30 times slower), hence the intrinsics.
//!
//! Every function here must only be called on a CPU with AVX2.

use core::arch::x86_64::*;

use faer::MatRef;

/// The rows of a step that whole vectors cover, for one element type.
pub trait StepAvx2: Copy {
    /// Computes the pre-activations `b + W_in x + W_hh h_prev` of rows
    /// `0..n` into `h_next[..n]`, `n` the largest multiple of the vector
    /// width not above `H = bias.len()`, and returns `n`. `w_in` is `H x I`
    /// with `x` its `I x 1` input, `w_hh` is `H x H`, both column-major.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    unsafe fn pre_activations(
        w_in: &[Self],
        x: MatRef<'_, Self>,
        w_hh: &[Self],
        bias: &[Self],
        h_prev: &[Self],
        h_next: &mut [Self],
    ) -> usize;

    /// The 8 partial sums `s_l = sum_{j = l mod 8, j < 8 floor(n / 8)} w_j h_j`
    /// (the portable readout's lanes), `n = h.len() <= w.len()`.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    unsafe fn dot_lanes(w: &[Self], h: &[Self]) -> [Self; 8];

    /// [`StepAvx2::pre_activations`] of `G` points at once, their
    /// dependency chains interleaved: point `g`'s parameters are `w_in[g]`,
    /// `w_hh[g]`, `bias[g]` (`H = bias[g].len()`), its state `h_prev[g
    /// H..(g + 1) H]`, and its pre-activations go to `h_next[g H..]`; `x`
    /// is the input every point shares. Every row of every point is
    /// computed with exactly the single-point operations. Returns the rows
    /// done per point.
    ///
    /// # Safety
    /// The CPU must support AVX2, and the lengths must match: `w_in[g]` of
    /// `H x.len()`, `w_hh[g]` of `H H` values, `h_prev` and `h_next` of at
    /// least `G H` (the caller checks them once per sequence; debug builds
    /// check them here).
    unsafe fn pre_activations_group<const G: usize>(
        w_in: &[&[Self]; G],
        x: &[Self],
        w_hh: &[&[Self]; G],
        bias: &[&[Self]; G],
        h_prev: &[Self],
        h_next: &mut [Self],
    ) -> usize;

    /// The readout sums of `G` points, `w[g]` against `h[g n..(g + 1) n]`,
    /// over the first `8 floor(n / 8)` values: the 8 partial sums of
    /// [`StepAvx2::dot_lanes`], combined in registers in the order of the
    /// portable `combine`, `((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 +
    /// s7))`.
    ///
    /// # Safety
    /// The CPU must support AVX2, `h` must hold `G n` values and each
    /// `w[g]` at least `8 floor(n / 8)` (checked by the caller; debug
    /// builds check here).
    unsafe fn dot_group<const G: usize>(w: &[&[Self]; G], h: &[Self], n: usize) -> [Self; G];
}

/// Checks the lengths the unchecked loads below rely on (a violation is a
/// bug of this crate, not bad user input).
fn check_lengths<T>(
    w_in: &[T],
    x: MatRef<'_, T>,
    w_hh: &[T],
    bias: &[T],
    h_prev: &[T],
    h_next: &[T],
) {
    let h = bias.len();
    assert!(
        w_in.len() >= h * x.nrows()
            && w_hh.len() >= h * h
            && h_prev.len() >= h
            && h_next.len() >= h,
        "RNN step buffers do not match the hidden size"
    );
}

/// The 8 partial sums of one `f32` vector combined as the portable
/// `combine`: `((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7))`.
///
/// # Safety
/// AVX2.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn combine_f32(s: &[__m256; 1]) -> f32 {
    let s = s[0];
    // [s0 + s4, s1 + s5, s2 + s6, s3 + s7]
    let a = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps::<1>(s));
    // [a0 + a2, a1 + a3, ..]
    let b = _mm_add_ps(a, _mm_movehl_ps(a, a));
    // (a0 + a2) + (a1 + a3)
    _mm_cvtss_f32(_mm_add_ss(b, _mm_movehdup_ps(b)))
}

/// The 8 partial sums of two `f64` vectors (`s0..s3`, `s4..s7`) combined
/// as the portable `combine`.
///
/// # Safety
/// AVX2.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn combine_f64(s: &[__m256d; 2]) -> f64 {
    // [s0 + s4, s1 + s5, s2 + s6, s3 + s7]
    let a = _mm256_add_pd(s[0], s[1]);
    // [a0 + a2, a1 + a3]
    let b = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd::<1>(a));
    // (a0 + a2) + (a1 + a3)
    _mm_cvtsd_f64(_mm_add_sd(b, _mm_unpackhi_pd(b, b)))
}

macro_rules! impl_step {
    (
        $t:ty, $v:ty, lanes: $lanes:expr,
        splat: $splat:ident, load: $load:ident, store: $store:ident,
        add: $add:ident, mul: $mul:ident, zero: $zero:ident,
        block: $block:ident, group_block: $gblock:ident, combine: $combine:ident
    ) => {
        /// Rows `i0..i0 + NV * lanes` of a step's pre-activations.
        ///
        /// # Safety
        /// AVX2, and the lengths of [`check_lengths`] with
        /// `i0 + NV * lanes <= H`.
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn $block<const NV: usize>(
            i0: usize,
            w_in: &[$t],
            x: MatRef<'_, $t>,
            w_hh: &[$t],
            bias: &[$t],
            h_prev: &[$t],
            h_next: &mut [$t],
        ) {
            let h = bias.len();
            // SAFETY (every pointer below): rows i0..i0 + NV * lanes of
            // columns of length h, within the lengths checked by the caller.
            unsafe {
                let mut acc = [$zero(); NV];
                for (v, a) in acc.iter_mut().enumerate() {
                    *a = $load(bias.as_ptr().add(i0 + v * $lanes));
                }
                for k in 0..x.nrows() {
                    let xk = $splat(x[(k, 0)]);
                    let col = w_in.as_ptr().add(k * h + i0);
                    for (v, a) in acc.iter_mut().enumerate() {
                        *a = $add(*a, $mul($load(col.add(v * $lanes)), xk));
                    }
                }
                for (j, &hj) in h_prev[..h].iter().enumerate() {
                    let hj = $splat(hj);
                    let col = w_hh.as_ptr().add(j * h + i0);
                    for (v, a) in acc.iter_mut().enumerate() {
                        *a = $add(*a, $mul($load(col.add(v * $lanes)), hj));
                    }
                }
                for (v, a) in acc.iter().enumerate() {
                    $store(h_next.as_mut_ptr().add(i0 + v * $lanes), *a);
                }
            }
        }

        /// Rows `i0..i0 + NV * lanes` of the pre-activations of `G`
        /// points, the points' chains interleaved (see
        /// [`StepAvx2::pre_activations_group`]).
        ///
        /// # Safety
        /// AVX2, the lengths of [`StepAvx2::pre_activations_group`] and
        /// `i0 + NV * lanes <= H`.
        #[allow(clippy::too_many_arguments)]
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn $gblock<const G: usize, const NV: usize>(
            i0: usize,
            h: usize,
            w_in: &[&[$t]; G],
            x: &[$t],
            w_hh: &[&[$t]; G],
            bias: &[&[$t]; G],
            h_prev: &[$t],
            h_next: &mut [$t],
        ) {
            // SAFETY (every pointer below): rows i0..i0 + NV * lanes of
            // columns of length h of each point, within the lengths of the
            // caller's contract.
            unsafe {
                let mut acc = [[$zero(); NV]; G];
                for (g, a) in acc.iter_mut().enumerate() {
                    for (v, a) in a.iter_mut().enumerate() {
                        *a = $load(bias[g].as_ptr().add(i0 + v * $lanes));
                    }
                }
                for (k, &xk) in x.iter().enumerate() {
                    let xk = $splat(xk);
                    for (g, a) in acc.iter_mut().enumerate() {
                        let col = w_in[g].as_ptr().add(k * h + i0);
                        for (v, a) in a.iter_mut().enumerate() {
                            *a = $add(*a, $mul($load(col.add(v * $lanes)), xk));
                        }
                    }
                }
                for j in 0..h {
                    for (g, a) in acc.iter_mut().enumerate() {
                        let hj = $splat(*h_prev.as_ptr().add(g * h + j));
                        let col = w_hh[g].as_ptr().add(j * h + i0);
                        for (v, a) in a.iter_mut().enumerate() {
                            *a = $add(*a, $mul($load(col.add(v * $lanes)), hj));
                        }
                    }
                }
                for (g, a) in acc.iter().enumerate() {
                    for (v, a) in a.iter().enumerate() {
                        $store(h_next.as_mut_ptr().add(g * h + i0 + v * $lanes), *a);
                    }
                }
            }
        }

        impl StepAvx2 for $t {
            #[inline]
            #[target_feature(enable = "avx2")]
            unsafe fn pre_activations(
                w_in: &[$t],
                x: MatRef<'_, $t>,
                w_hh: &[$t],
                bias: &[$t],
                h_prev: &[$t],
                h_next: &mut [$t],
            ) -> usize {
                check_lengths(w_in, x, w_hh, bias, h_prev, h_next);
                let h = bias.len();
                let mut i0 = 0;
                // SAFETY: AVX2 (our caller's contract), lengths checked, and
                // each block ends at or before row h.
                unsafe {
                    while i0 + 8 * $lanes <= h {
                        $block::<8>(i0, w_in, x, w_hh, bias, h_prev, h_next);
                        i0 += 8 * $lanes;
                    }
                    while i0 + 2 * $lanes <= h {
                        $block::<2>(i0, w_in, x, w_hh, bias, h_prev, h_next);
                        i0 += 2 * $lanes;
                    }
                    while i0 + $lanes <= h {
                        $block::<1>(i0, w_in, x, w_hh, bias, h_prev, h_next);
                        i0 += $lanes;
                    }
                }
                i0
            }

            #[inline]
            #[target_feature(enable = "avx2")]
            unsafe fn pre_activations_group<const G: usize>(
                w_in: &[&[$t]; G],
                x: &[$t],
                w_hh: &[&[$t]; G],
                bias: &[&[$t]; G],
                h_prev: &[$t],
                h_next: &mut [$t],
            ) -> usize {
                let h = bias[0].len();
                debug_assert!(
                    (0..G).all(|g| w_in[g].len() >= h * x.len()
                        && w_hh[g].len() >= h * h
                        && bias[g].len() == h)
                        && h_prev.len() >= G * h
                        && h_next.len() >= G * h,
                    "RNN group buffers do not match the hidden size"
                );
                // At most 8 accumulators (16 vector registers in all).
                let wide = 8 / G;
                let mut i0 = 0;
                // SAFETY: AVX2 and the lengths (our caller's contract), and
                // each block ends at or before row h.
                unsafe {
                    if wide >= 4 {
                        while i0 + 4 * $lanes <= h {
                            $gblock::<G, 4>(i0, h, w_in, x, w_hh, bias, h_prev, h_next);
                            i0 += 4 * $lanes;
                        }
                    }
                    if wide >= 2 {
                        while i0 + 2 * $lanes <= h {
                            $gblock::<G, 2>(i0, h, w_in, x, w_hh, bias, h_prev, h_next);
                            i0 += 2 * $lanes;
                        }
                    }
                    while i0 + $lanes <= h {
                        $gblock::<G, 1>(i0, h, w_in, x, w_hh, bias, h_prev, h_next);
                        i0 += $lanes;
                    }
                }
                i0
            }

            #[inline]
            #[target_feature(enable = "avx2")]
            unsafe fn dot_group<const G: usize>(w: &[&[$t]; G], h: &[$t], n: usize) -> [$t; G] {
                let whole = n / 8 * 8;
                debug_assert!(
                    h.len() >= G * n && w.iter().all(|w| w.len() >= whole),
                    "readout weights shorter than the hidden state"
                );
                const PER: usize = 8 / $lanes;
                let mut acc = [[$zero(); PER]; G];
                // SAFETY: chunks of 8 within the first `whole` values of
                // each point's weights and state (our caller's contract).
                unsafe {
                    for c in (0..whole).step_by(8) {
                        for (g, a) in acc.iter_mut().enumerate() {
                            for (v, a) in a.iter_mut().enumerate() {
                                let off = c + v * $lanes;
                                *a = $add(
                                    *a,
                                    $mul(
                                        $load(w[g].as_ptr().add(off)),
                                        $load(h.as_ptr().add(g * n + off)),
                                    ),
                                );
                            }
                        }
                    }
                    core::array::from_fn(|g| $combine(&acc[g]))
                }
            }

            #[inline]
            #[target_feature(enable = "avx2")]
            unsafe fn dot_lanes(w: &[$t], h: &[$t]) -> [$t; 8] {
                let n = h.len() / 8 * 8;
                assert!(
                    w.len() >= n,
                    "readout weights shorter than the hidden state"
                );
                const PER: usize = 8 / $lanes;
                let mut acc = [$zero(); PER];
                // SAFETY: chunks of 8 within the first n <= len values.
                unsafe {
                    for c in (0..n).step_by(8) {
                        for (v, a) in acc.iter_mut().enumerate() {
                            let off = c + v * $lanes;
                            *a = $add(
                                *a,
                                $mul($load(w.as_ptr().add(off)), $load(h.as_ptr().add(off))),
                            );
                        }
                    }
                    let mut out = [0.0; 8];
                    for (v, a) in acc.iter().enumerate() {
                        $store(out.as_mut_ptr().add(v * $lanes), *a);
                    }
                    out
                }
            }
        }
    };
}

impl_step!(
    f32, __m256, lanes: 8,
    splat: _mm256_set1_ps, load: _mm256_loadu_ps, store: _mm256_storeu_ps,
    add: _mm256_add_ps, mul: _mm256_mul_ps, zero: _mm256_setzero_ps,
    block: block_f32, group_block: group_block_f32, combine: combine_f32
);

impl_step!(
    f64, __m256d, lanes: 4,
    splat: _mm256_set1_pd, load: _mm256_loadu_pd, store: _mm256_storeu_pd,
    add: _mm256_add_pd, mul: _mm256_mul_pd, zero: _mm256_setzero_pd,
    block: block_f64, group_block: group_block_f64, combine: combine_f64
);
