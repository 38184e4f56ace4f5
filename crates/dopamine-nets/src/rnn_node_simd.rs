//! Explicit AVX2 kernel of Dopamine-3's lockstep step (x86-64 only): both copies' pre-activations from one pass over the weights, with exactly the IEEE operations of the forward pass (`simd.rs`, `rnn_forward`): a row's accumulator is `b_i`, then `+ w * x_k` for each input, then `+ w * h_j` for each `j`, one rounding per multiplication and per addition, never a fused multiply-add.
//!
//! Each column of `W_hh` is loaded once for both copies, and the two
//! copies' accumulator chains interleave, which hides the latency of the
//! additions when `H` is small (the forward pass of one copy at `H = 16`
//! is a chain of 16 dependent additions per row block).
//!
//! Every function here must only be called on a CPU with AVX2.

use core::any::TypeId;
use core::arch::x86_64::*;

/// Both copies' pre-activations `b + W_in x + W_hh h` of rows `0..n` into
/// `next_a[..n]` and `next_b[..n]`, `n` the largest multiple of the
/// vector width not above `H`; returns `n`. `T` must be `f32` or `f64`
/// (otherwise nothing is computed and 0 is returned).
///
/// # Safety
/// The CPU must support AVX2.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) unsafe fn pre_activations_both<T: 'static>(
    w_in: &[T],
    x: &[T],
    w_hh: &[T],
    bias: &[T],
    h_a: &[T],
    h_b: &[T],
    next_a: &mut [T],
    next_b: &mut [T],
) -> usize {
    let h = bias.len();
    assert!(
        w_in.len() >= h * x.len()
            && w_hh.len() >= h * h
            && h_a.len() >= h
            && h_b.len() >= h
            && next_a.len() >= h
            && next_b.len() >= h,
        "RNN step buffers do not match the hidden size"
    );
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        // SAFETY: `T` is `f32`, so the casts only rename the type; AVX2 is
        // the caller's guarantee.
        unsafe {
            rows_f32(
                cast(w_in),
                cast(x),
                cast(w_hh),
                cast(bias),
                cast(h_a),
                cast(h_b),
                cast_mut(next_a),
                cast_mut(next_b),
            )
        }
    } else if TypeId::of::<T>() == TypeId::of::<f64>() {
        // SAFETY: as above, with `f64`.
        unsafe {
            rows_f64(
                cast(w_in),
                cast(x),
                cast(w_hh),
                cast(bias),
                cast(h_a),
                cast(h_b),
                cast_mut(next_a),
                cast_mut(next_b),
            )
        }
    } else {
        0
    }
}

/// `s` as a slice of `U`.
///
/// # Safety
/// `T` and `U` must be the same type.
unsafe fn cast<T, U>(s: &[T]) -> &[U] {
    // SAFETY: the caller's guarantee: same type, so same layout.
    unsafe { core::slice::from_raw_parts(s.as_ptr().cast(), s.len()) }
}

/// `s` as a mutable slice of `U`.
///
/// # Safety
/// `T` and `U` must be the same type.
unsafe fn cast_mut<T, U>(s: &mut [T]) -> &mut [U] {
    // SAFETY: as in `cast`.
    unsafe { core::slice::from_raw_parts_mut(s.as_mut_ptr().cast(), s.len()) }
}

macro_rules! impl_rows {
    (
        $name:ident, $block:ident, $t:ty, $v:ty, lanes: $lanes:expr,
        splat: $splat:ident, load: $load:ident, store: $store:ident,
        add: $add:ident, mul: $mul:ident, zero: $zero:ident
    ) => {
        /// Rows `i0..i0 + NV * lanes` of both copies.
        ///
        /// # Safety
        /// AVX2, and the lengths asserted by [`pre_activations_both`] with
        /// `i0 + NV * lanes <= H`.
        #[allow(clippy::too_many_arguments)]
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn $block<const NV: usize>(
            i0: usize,
            w_in: &[$t],
            x: &[$t],
            w_hh: &[$t],
            bias: &[$t],
            h_a: &[$t],
            h_b: &[$t],
            next_a: &mut [$t],
            next_b: &mut [$t],
        ) {
            let h = bias.len();
            // SAFETY (every pointer below): rows i0..i0 + NV * lanes of
            // columns of length h, within the asserted lengths.
            unsafe {
                let mut a = [$zero(); NV];
                for (v, a) in a.iter_mut().enumerate() {
                    *a = $load(bias.as_ptr().add(i0 + v * $lanes));
                }
                for (k, &xk) in x.iter().enumerate() {
                    let xk = $splat(xk);
                    let col = w_in.as_ptr().add(k * h + i0);
                    for (v, a) in a.iter_mut().enumerate() {
                        *a = $add(*a, $mul($load(col.add(v * $lanes)), xk));
                    }
                }
                let mut b = a;
                for j in 0..h {
                    let (ha, hb) = ($splat(*h_a.get_unchecked(j)), $splat(*h_b.get_unchecked(j)));
                    let col = w_hh.as_ptr().add(j * h + i0);
                    for v in 0..NV {
                        let w = $load(col.add(v * $lanes));
                        a[v] = $add(a[v], $mul(w, ha));
                        b[v] = $add(b[v], $mul(w, hb));
                    }
                }
                for v in 0..NV {
                    $store(next_a.as_mut_ptr().add(i0 + v * $lanes), a[v]);
                    $store(next_b.as_mut_ptr().add(i0 + v * $lanes), b[v]);
                }
            }
        }

        /// Rows `0..n` of both copies, `n` the largest multiple of the
        /// vector width not above `H`, in blocks of 4, 2 and 1 vectors.
        ///
        /// # Safety
        /// AVX2, and the lengths asserted by [`pre_activations_both`].
        #[allow(clippy::too_many_arguments)]
        #[target_feature(enable = "avx2")]
        unsafe fn $name(
            w_in: &[$t],
            x: &[$t],
            w_hh: &[$t],
            bias: &[$t],
            h_a: &[$t],
            h_b: &[$t],
            next_a: &mut [$t],
            next_b: &mut [$t],
        ) -> usize {
            let h = bias.len();
            let mut i = 0;
            // SAFETY: each block stays below `h`; AVX2 is the caller's.
            unsafe {
                while i + 4 * $lanes <= h {
                    $block::<4>(i, w_in, x, w_hh, bias, h_a, h_b, next_a, next_b);
                    i += 4 * $lanes;
                }
                if i + 2 * $lanes <= h {
                    $block::<2>(i, w_in, x, w_hh, bias, h_a, h_b, next_a, next_b);
                    i += 2 * $lanes;
                }
                if i + $lanes <= h {
                    $block::<1>(i, w_in, x, w_hh, bias, h_a, h_b, next_a, next_b);
                    i += $lanes;
                }
            }
            i
        }
    };
}

impl_rows!(
    rows_f32, block_f32, f32, __m256, lanes: 8,
    splat: _mm256_set1_ps, load: _mm256_loadu_ps, store: _mm256_storeu_ps,
    add: _mm256_add_ps, mul: _mm256_mul_ps, zero: _mm256_setzero_ps
);
impl_rows!(
    rows_f64, block_f64, f64, __m256d, lanes: 4,
    splat: _mm256_set1_pd, load: _mm256_loadu_pd, store: _mm256_storeu_pd,
    add: _mm256_add_pd, mul: _mm256_mul_pd, zero: _mm256_setzero_pd
);
