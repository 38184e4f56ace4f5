//! The Gaussian generator's definition: a keyed 32-bit word hash and a Box-Muller pair in `f32` arithmetic.
//!
//! Everything here is the *definition* of the Gaussian streams (see the
//! module docs of [`crate::noise`] for the layout of a block). The scalar
//! functions are the reference; the AVX2 path (`super::x86`) performs the
//! same IEEE `f32` operations in the same order on eight lanes, so both give
//! the same bits. Rules that keep it so: only `+`, `-`, `*` and `sqrt`
//! (correctly rounded everywhere), integer-to-float conversions of values
//! below `2^31` in magnitude (round to nearest), and no fused multiply-add
//! (Rust never contracts `a * b + c`). One intermediate can be subnormal:
//! `f^4 LN[8]` for the radius word closest to 1 (`f = -2^-31`), which is
//! then added to a number near 0.4 and vanishes in the rounding, so a
//! flush-to-zero mode would not change a result either.

use super::BLOCK_LEN;

/// Multiplier of the word counter (the 32-bit golden ratio).
pub(super) const WORD_GAMMA: u32 = 0x9E37_79B9;
/// First multiplier of the word finaliser (Wellons' `lowbias32`).
pub(super) const WORD_M1: u32 = 0x7FEB_352D;
/// Second multiplier of the word finaliser.
pub(super) const WORD_M2: u32 = 0x846C_A68B;

/// Word `n` (`0..BLOCK_LEN`) of the block whose 64-bit key is `key`.
///
/// `lowbias32` (xorshift-multiply, two rounds) of a Weyl sequence offset by
/// the low half of the key, with the high half of the key mixed in between
/// the rounds: a bijection of the counter for each key, so the 64 words of a
/// block are distinct.
#[inline(always)]
pub(super) fn word(key: u64, n: usize) -> u32 {
    let mut x = (key as u32).wrapping_add((n as u32).wrapping_mul(WORD_GAMMA));
    x ^= x >> 16;
    x = x.wrapping_mul(WORD_M1);
    x ^= x >> 15;
    x ^= (key >> 32) as u32;
    x = x.wrapping_mul(WORD_M2);
    x ^ (x >> 16)
}

/// The bits of `sqrt(1/2)` as an `f32`: the lower end of the logarithm's reduced range.
pub(super) const SQRT_HALF_BITS: u32 = 0x3F35_04F3;
/// Subtracted from the bits of `f32(v)` to get `u1 = v 2^-31` relative to `sqrt(1/2)`.
pub(super) const LN_OFFSET: u32 = SQRT_HALF_BITS + (31 << 23);
/// `-2 ln 2`, rounded to `f32`.
pub(super) const NEG_2_LN_2: f32 = -1.386_294_4;
/// `2^-31`.
pub(super) const TWO_POW_M31: f32 = 1.0 / 2_147_483_648.0;
/// Polynomial of degree 8 in `f` approximating `-2 ln(1 + f) / f` on
/// `[sqrt(1/2) - 1, sqrt(2) - 1]` (relative error 3.5e-8; near-minimax, the
/// two leading coefficients exact), lowest degree first; evaluated with
/// Estrin's scheme.
pub(super) const LN: [f32; 9] = [
    -2.0,
    1.0,
    -0.666_678_25,
    0.500_026_76,
    -0.399_261_24,
    0.331_551_7,
    -0.298_295_9,
    0.285_349_8,
    -0.174_007_37,
];
/// `pi/4 2^-24`: `phi` is an odd multiple of it, `(2 m + 1)` for a 23-bit `m`.
pub(super) const PHI_STEP: f32 = core::f32::consts::FRAC_PI_4 / 16_777_216.0;
/// Minimax polynomial in `phi^2` of `sin(phi) / phi` on `[0, pi/4]` (relative error 6e-9).
pub(super) const SIN: [f32; 4] = [1.0, -0.166_666_51, 0.008_332_017, -0.000_195_018_22];
/// Polynomial in `phi^2` of `cos(phi)` on `[0, pi/4]` (relative error 4.5e-8, constant term exact).
pub(super) const COS: [f32; 4] = [1.0, -0.499_998_84, 0.041_655_775, -0.001_359_185_2];

/// The Box-Muller pair of two words: `(r c, r s)` with `r = sqrt(-2 ln u1)`.
///
/// * `u1 = v 2^-31` with `v = (a >> 1) | 1`, odd, so `u1` is in `(0, 1)`
///   and never 0. `u1 = 2^k m` with `m` in `[sqrt(1/2), sqrt(2))` (`k` from
///   the exponent of `f32(v)`); `f = m - 1` is formed exactly in integers,
///   `(v << -k) - 2^31`, before it is converted, so `f` keeps 24 significant
///   bits even where `u1` is close to 1 (small radii). Then
///   `r^2 = k (-2 ln 2) + f P(f)`.
/// * The angle: `phi = (2 (b mod 2^23) + 1) pi/4 2^-24` in `(0, pi/4)` and
///   `(c, s) = (cos phi, sin phi)` by polynomials; bit 29 of `b` swaps them,
///   bit 31 negates the first and bit 30 the second. The eight sign and swap
///   patterns map the octant `(0, pi/4)` onto the whole circle uniformly.
#[inline(always)]
pub(super) fn pair(a: u32, b: u32) -> (f32, f32) {
    let r = radius(a);
    let (c, s) = circle(b);
    let z0 = f32::from_bits((r * c).to_bits() ^ (b & 0x8000_0000));
    let z1 = f32::from_bits((r * s).to_bits() ^ ((b << 1) & 0x8000_0000));
    (z0, z1)
}

/// `sqrt(-2 ln u1)` for the radius word `a` (see [`pair`]).
#[inline(always)]
pub(super) fn radius(a: u32) -> f32 {
    libm::sqrtf(radius_squared(a))
}

/// `-2 ln u1` for the radius word `a`, before the square root.
#[inline(always)]
fn radius_squared(a: u32) -> f32 {
    let v = (a >> 1) | 1;
    let ix = (v as i32 as f32).to_bits().wrapping_sub(LN_OFFSET) as i32;
    let k = ix >> 23;
    // `v << -k` is `m 2^31` in `[sqrt(1/2), sqrt(2)) 2^31`: it fits in 32 bits.
    let d = (v << ((-k) as u32)) ^ 0x8000_0000;
    let f = (d as i32 as f32) * TWO_POW_M31;
    let f2 = f * f;
    let f4 = f2 * f2;
    let q01 = LN[0] + LN[1] * f;
    let q23 = LN[2] + LN[3] * f;
    let q45 = LN[4] + LN[5] * f;
    let q67 = LN[6] + LN[7] * f;
    let q03 = q01 + f2 * q23;
    let q48 = (q45 + f2 * q67) + f4 * LN[8];
    let p = q03 + f4 * q48;
    (k as f32) * NEG_2_LN_2 + f * p
}

/// `(cos phi, sin phi)` of the angle word `b`, swapped when bit 29 is set;
/// the signs (bits 30 and 31) are applied by [`pair`].
#[inline(always)]
pub(super) fn circle(b: u32) -> (f32, f32) {
    let phi = ((((b << 1) & 0x00FF_FFFF) | 1) as i32 as f32) * PHI_STEP;
    let x2 = phi * phi;
    let s = phi * (((SIN[3] * x2 + SIN[2]) * x2 + SIN[1]) * x2 + SIN[0]);
    let c = ((COS[3] * x2 + COS[2]) * x2 + COS[1]) * x2 + COS[0];
    if (b >> 29) & 1 == 1 { (s, c) } else { (c, s) }
}

/// Element `j` (`0..BLOCK_LEN`) of the block whose key is `key`.
///
/// Group `g = j / 16` of a block holds eight pairs: lane `l = j mod 8` is
/// the pair of words `16 g + l` and `16 g + 8 + l`, whose cosine half is
/// element `16 g + l` and sine half element `16 g + 8 + l`.
#[inline]
pub(super) fn element(key: u64, j: usize) -> f32 {
    let base = 16 * (j / 16) + j % 8;
    let (z0, z1) = pair(word(key, base), word(key, base + 8));
    if (j / 8) % 2 == 0 { z0 } else { z1 }
}

/// The whole block whose key is `key`, without explicit SIMD.
///
/// The same operations as [`pair`], arranged lane by lane over each group
/// of 8 pairs so that the compiler can vectorise what the baseline target
/// allows (about 1.5 times faster than pair by pair on x86-64 with SSE2).
#[inline]
pub(super) fn block_portable(key: u64, out: &mut [f32; BLOCK_LEN]) {
    for g in 0..BLOCK_LEN / 16 {
        let n0 = 16 * g;
        let mut a = [0u32; 8];
        let mut b = [0u32; 8];
        for l in 0..8 {
            a[l] = word(key, n0 + l);
            b[l] = word(key, n0 + 8 + l);
        }
        let mut r = [0.0f32; 8];
        for (r, a) in r.iter_mut().zip(&a) {
            *r = radius_squared(*a);
        }
        for r in r.iter_mut() {
            *r = libm::sqrtf(*r);
        }
        let (first, second) = out[n0..n0 + 16].split_at_mut(8);
        for l in 0..8 {
            let (c, s) = circle(b[l]);
            first[l] = f32::from_bits((r[l] * c).to_bits() ^ (b[l] & 0x8000_0000));
            second[l] = f32::from_bits((r[l] * s).to_bits() ^ ((b[l] << 1) & 0x8000_0000));
        }
    }
}
