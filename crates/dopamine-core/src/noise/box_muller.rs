//! Box-Muller over a block of word pairs, bit-identical to `libm::log`/`libm::sincos` but branch-free.
//!
//! The Gaussian noise values are *defined* by `libm` 0.2's `log`, `sqrt` and
//! `sincos` (the FreeBSD msun algorithms). Called one pair at a time, those
//! functions spend much of their time on branches that depend on the
//! argument: `sincos` picks one of five argument reductions by the quadrant
//! of `theta`, which is uniform, so the branch predictor misses about every
//! other call. Over the only arguments the generator produces —
//! `u1 = (m + 1) 2^-53` in `[2^-53, 1]` and `theta = 2π u2` in `[0, 2π]` —
//! most of those branches are dead, and the live ones can be computed for
//! every lane and selected. This module does exactly that: the same
//! floating-point operations, in the same order, on the same operands, so
//! every result is the same bit pattern; only the control flow differs. The
//! few arguments for which `libm` takes its slow "medium" reduction (a high
//! word equal to that of a multiple of π/2: about one pair in 2^21) are
//! flagged and recomputed with the scalar `libm` call.
//!
//! The block is processed in separate passes (words, then `log`, then
//! `sincos`, then the products) over stack arrays, so each pass is a
//! straight-line loop the compiler can keep in registers and vectorise.
//! `tests` compare every function here against `libm` on the edge cases of
//! each branch and on random arguments.

use super::BLOCK_LEN;

/// Pairs per block.
pub(super) const PAIRS: usize = BLOCK_LEN / 2;

const SCALE: f64 = 1.0 / ((1u64 << 53) as f64);

// libm's `log` (FreeBSD e_log.c) constants.
const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const LG1: f64 = 6.666666666666735130e-01;
const LG2: f64 = 3.999999999940941908e-01;
const LG3: f64 = 2.857142874366239149e-01;
const LG4: f64 = 2.222219843214978396e-01;
const LG5: f64 = 1.818357216161805012e-01;
const LG6: f64 = 1.531383769920937332e-01;
const LG7: f64 = 1.479819860511658591e-01;

// libm's `rem_pio2`, `k_sin` and `k_cos` constants.
const PIO2_1: f64 = 1.57079632673412561417e+00;
const PIO2_1T: f64 = 6.07710050650619224932e-11;
const S1: f64 = -1.66666666666666324348e-01;
const S2: f64 = 8.33333333332248946124e-03;
const S3: f64 = -1.98412698298579493134e-04;
const S4: f64 = 2.75573137070700676789e-06;
const S5: f64 = -2.50507602534068634195e-08;
const S6: f64 = 1.58969099521155010221e-10;
const C1: f64 = 4.16666666666666019037e-02;
const C2: f64 = -1.38888888888741095749e-03;
const C3: f64 = 2.48015872894767294178e-05;
const C4: f64 = -2.75573143513906633035e-07;
const C5: f64 = 2.08757232129817482790e-09;
const C6: f64 = -1.13596475577881948265e-11;

const SIGN: u64 = 1 << 63;

/// `u1 ∈ (0, 1]` from the first word of a pair (53 random bits).
#[inline(always)]
pub(super) fn unit_open_closed(a: u64) -> f64 {
    ((a >> 11) + 1) as f64 * SCALE
}

/// `theta = 2π u2` with `u2 ∈ [0, 1)` from the second word of a pair.
#[inline(always)]
pub(super) fn angle(b: u64) -> f64 {
    core::f64::consts::TAU * ((b >> 11) as f64 * SCALE)
}

/// `libm::log(x)` for a positive normal finite `x` (every `u1` is one):
/// the same operations as libm without its branches for zero, negative,
/// subnormal, infinite and NaN arguments.
#[inline(always)]
pub(super) fn log_positive_normal(x: f64) -> f64 {
    let ui = x.to_bits();
    let hx = ((ui >> 32) as u32).wrapping_add(0x3ff0_0000 - 0x3fe6_a09e);
    let k = ((hx >> 20) as i32) - 0x3ff;
    let hx = (hx & 0x000f_ffff) + 0x3fe6_a09e;
    let xr = f64::from_bits(((hx as u64) << 32) | (ui & 0xffff_ffff));
    let f = xr - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let dk = k as f64;
    let general = s * (hfsq + r) + dk * LN2_LO - hfsq + f + dk * LN2_HI;
    // libm returns exactly 0 for x == 1 (the general formula gives +0 too).
    if ui == 0x3ff0_0000_0000_0000 {
        0.0
    } else {
        general
    }
}

/// `true` when `libm::sincos(theta)`, `0 <= theta`, takes a path this
/// module does not reproduce (the "medium" argument reduction near a
/// multiple of π/2, or an argument beyond 9π/4); such lanes are recomputed
/// with the scalar call.
#[inline(always)]
pub(super) fn needs_scalar_sincos(theta: f64) -> bool {
    let ix = (theta.to_bits() >> 32) as u32 & 0x7fff_ffff;
    // `|`, not `||`: no branch, so the loop that calls this vectorises.
    (ix == 0x3ff9_21fb)
        | (ix == 0x4009_21fb)
        | (ix == 0x4012_d97c)
        | (ix == 0x4019_21fb)
        | (ix > 0x401c_463b)
}

/// `libm::sincos(theta)` as `(sin, cos)` for `0 <= theta <= 9π/4` whenever
/// [`needs_scalar_sincos`] is `false` (otherwise the result is unspecified).
#[inline(always)]
pub(super) fn sincos_nonnegative(theta: f64) -> (f64, f64) {
    let ix = (theta.to_bits() >> 32) as u32 & 0x7fff_ffff;
    // rem_pio2's quadrant for each range of the high word (sign 0).
    // 0 up to π/4, then 1, 2, 3, 4 past 3π/4, 5π/4 and 7π/4 (counted without branches).
    let n = u32::from(ix > 0x3fe9_21fb)
        + u32::from(ix > 0x4002_d97c)
        + u32::from(ix > 0x400f_6a7a)
        + u32::from(ix > 0x4015_fdbc);
    let nf = n as f64;
    // For n == 0 libm calls the kernels with (theta, 0.0).
    let (y0, y1) = if n == 0 {
        (theta, 0.0)
    } else {
        let z = theta - nf * PIO2_1;
        let y0 = z - nf * PIO2_1T;
        (y0, (z - y0) - nf * PIO2_1T)
    };
    // k_sin(y0, y1, iy) with iy = 0 for n == 0 and 1 otherwise.
    let z = y0 * y0;
    let w = z * z;
    let r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
    let v = z * y0;
    let sin_iy0 = y0 + v * (S1 + z * r);
    let sin_iy1 = y0 - ((z * (0.5 * y1 - v * r) - y1) - v * S1);
    let s = if n == 0 { sin_iy0 } else { sin_iy1 };
    // k_cos(y0, y1).
    let rc = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    let hz = 0.5 * z;
    let wc = 1.0 - hz;
    let c = wc + (((1.0 - wc) - hz) + (z * rc - y0 * y1));
    // |theta| < 2^-27 sqrt(2): libm returns (theta, 1) directly.
    let tiny = ix < 0x3e46_a09e;
    let s = if tiny { theta } else { s };
    let c = if tiny { 1.0 } else { c };
    // Quadrant n & 3: 0 (s, c), 1 (c, -s), 2 (-s, -c), 3 (-c, s).
    let q = n & 3;
    let (a, b) = if q & 1 == 1 { (c, s) } else { (s, c) };
    let sin_sign = if q >= 2 { SIGN } else { 0 };
    let cos_sign = if q == 1 || q == 2 { SIGN } else { 0 };
    (
        f64::from_bits(a.to_bits() ^ sin_sign),
        f64::from_bits(b.to_bits() ^ cos_sign),
    )
}

/// `x = sqrt(x)` for every element, correctly rounded (IEEE 754), so equal
/// bit for bit to `libm::sqrt`. On x86-64 two lanes at a time with SSE2's
/// `sqrtpd`: `libm::sqrt` is the scalar `sqrtsd`, which keeps the compiler
/// from vectorising a loop that calls it.
#[inline(always)]
fn sqrt_in_place(values: &mut [f64]) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        use core::arch::x86_64::{_mm_loadu_pd, _mm_sqrt_pd, _mm_storeu_pd};
        let mut pairs = values.chunks_exact_mut(2);
        for pair in &mut pairs {
            // SAFETY: SSE2 is enabled (cfg above); `pair` holds exactly two
            // f64, and the unaligned load and store stay inside it.
            unsafe {
                let v = _mm_loadu_pd(pair.as_ptr());
                _mm_storeu_pd(pair.as_mut_ptr(), _mm_sqrt_pd(v));
            }
        }
        for x in pairs.into_remainder() {
            *x = libm::sqrt(*x);
        }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    for x in values.iter_mut() {
        *x = libm::sqrt(*x);
    }
}

/// The scalar definition: Box-Muller on two raw words, `(r cos θ, r sin θ)`.
#[inline(always)]
pub(super) fn gaussian_pair(a: u64, b: u64) -> (f64, f64) {
    let u1 = unit_open_closed(a);
    let r = libm::sqrt(-2.0 * libm::log(u1));
    let (s, c) = libm::sincos(angle(b));
    (r * c, r * s)
}

/// `out[2p], out[2p + 1] = gaussian_pair(first[p], second[p])` for every
/// pair `p` (at most [`PAIRS`]), bit for bit, in passes that vectorise.
pub(super) fn gaussian_pairs(first: &[u64], second: &[u64], out: &mut [f64]) {
    let n = first.len();
    debug_assert!(n <= PAIRS && second.len() == n && out.len() == 2 * n);
    let mut radius = [0.0f64; PAIRS];
    for (r, &a) in radius[..n].iter_mut().zip(first) {
        *r = -2.0 * log_positive_normal(unit_open_closed(a));
    }
    sqrt_in_place(&mut radius[..n]);
    let mut sin = [0.0f64; PAIRS];
    let mut cos = [0.0f64; PAIRS];
    let mut slow = false;
    for ((s, c), &b) in sin[..n].iter_mut().zip(&mut cos[..n]).zip(second) {
        let theta = angle(b);
        slow |= needs_scalar_sincos(theta);
        (*s, *c) = sincos_nonnegative(theta);
    }
    for (((o, r), s), c) in out
        .chunks_exact_mut(2)
        .zip(&radius[..n])
        .zip(&sin[..n])
        .zip(&cos[..n])
    {
        o[0] = r * c;
        o[1] = r * s;
    }
    if slow {
        for (p, &b) in second.iter().enumerate() {
            if needs_scalar_sincos(angle(b)) {
                let (z0, z1) = gaussian_pair(first[p], b);
                out[2 * p] = z0;
                out[2 * p + 1] = z1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small SplitMix64 for test arguments.
    fn words(seed: u64, n: usize) -> impl Iterator<Item = u64> {
        (0..n as u64).map(move |i| {
            super::super::mix64(seed.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
        })
    }

    fn check_sincos(theta: f64) {
        if needs_scalar_sincos(theta) {
            return;
        }
        let (s, c) = sincos_nonnegative(theta);
        let (ls, lc) = libm::sincos(theta);
        assert_eq!(
            (s.to_bits(), c.to_bits()),
            (ls.to_bits(), lc.to_bits()),
            "theta {theta:e} ({:#018x})",
            theta.to_bits()
        );
    }

    fn check_log(x: f64) {
        assert_eq!(
            log_positive_normal(x).to_bits(),
            libm::log(x).to_bits(),
            "x {x:e} ({:#018x})",
            x.to_bits()
        );
    }

    #[test]
    fn log_matches_libm() {
        for m in [
            0u64,
            1,
            2,
            3,
            (1 << 52) - 1,
            1 << 52,
            (1 << 53) - 2,
            (1 << 53) - 1,
        ] {
            check_log((m + 1) as f64 * SCALE);
        }
        for hx in [
            0x3fe6_a09eu64,
            0x3fe6_a09d,
            0x3fe6_a09f,
            0x3ff0_0000,
            0x3fef_ffff,
        ] {
            for lo in [0u64, 1, 0xffff_ffff, 0x8000_0000] {
                check_log(f64::from_bits((hx << 32) | lo));
            }
        }
        for w in words(11, 200_000) {
            check_log(unit_open_closed(w));
        }
    }

    #[test]
    fn sincos_matches_libm_away_from_medium_cases() {
        // Every branch boundary of rem_pio2 and sincos, with neighbours.
        for hx in [
            0u64,
            0x3e46_a09d,
            0x3e46_a09e,
            0x3fe9_21fa,
            0x3fe9_21fb,
            0x3fe9_21fc,
            0x3ff9_21fa,
            0x3ff9_21fc,
            0x4002_d97b,
            0x4002_d97c,
            0x4002_d97d,
            0x4009_21fa,
            0x4009_21fc,
            0x400f_6a7a,
            0x400f_6a7b,
            0x4012_d97b,
            0x4012_d97d,
            0x4015_fdbc,
            0x4015_fdbd,
            0x4019_21fa,
            0x4019_21fc,
        ] {
            for lo in [0u64, 1, 0x5444_2d18, 0x7fff_ffff, 0xffff_ffff] {
                check_sincos(f64::from_bits((hx << 32) | lo));
            }
        }
        for w in words(5, 200_000) {
            check_sincos(angle(w));
        }
        // Small u2, where theta is tiny.
        for m in 0u64..2000 {
            check_sincos(angle(m << 11));
        }
    }

    #[test]
    fn block_matches_scalar_pairs_including_medium_cases() {
        // Words whose angle falls on each medium case, found by inverting theta.
        let mut second = [0u64; PAIRS];
        for (s, w) in second.iter_mut().zip(words(3, PAIRS)) {
            *s = w;
        }
        for (slot, target) in [0x3ff9_21fbu64, 0x4009_21fb, 0x4012_d97c, 0x4019_21fb]
            .into_iter()
            .enumerate()
        {
            let theta = f64::from_bits((target << 32) | 0x1234_5678);
            let m = (theta / core::f64::consts::TAU / SCALE) as u64;
            assert!(needs_scalar_sincos(angle(m << 11)), "{target:#x}");
            second[5 * slot + 1] = m << 11;
        }
        let mut first = [0u64; PAIRS];
        for (f, w) in first.iter_mut().zip(words(4, PAIRS)) {
            *f = w;
        }
        let mut out = [0.0f64; 2 * PAIRS];
        gaussian_pairs(&first, &second, &mut out);
        for p in 0..PAIRS {
            let (z0, z1) = gaussian_pair(first[p], second[p]);
            assert_eq!(out[2 * p].to_bits(), z0.to_bits(), "pair {p}");
            assert_eq!(out[2 * p + 1].to_bits(), z1.to_bits(), "pair {p}");
        }
    }
}
