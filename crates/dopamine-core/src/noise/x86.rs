//! The Gaussian generator on eight AVX2 lanes, and the run-time check that the CPU has AVX2.
//!
//! The functions here perform exactly the operations of [`super::gaussian`]
//! (same IEEE `f32` operations, same order, no FMA), so they give the same
//! bits; `tests` in [`super`] compare them on random and edge-case words.
//! The check needs no `std`: `cpuid` says whether the CPU has AVX2 and
//! whether the OS saves the YMM registers (`xgetbv`), and the answer is
//! cached in an atomic.

use core::arch::x86_64::{
    __cpuid, __cpuid_count, __m256, __m256i, _mm256_add_epi32, _mm256_add_ps, _mm256_and_si256,
    _mm256_blendv_ps, _mm256_castps_si256, _mm256_castsi256_ps, _mm256_cvtepi32_ps,
    _mm256_loadu_si256, _mm256_mul_ps, _mm256_mullo_epi32, _mm256_or_si256, _mm256_set1_epi32,
    _mm256_set1_ps, _mm256_setzero_si256, _mm256_slli_epi32, _mm256_sllv_epi32, _mm256_sqrt_ps,
    _mm256_srai_epi32, _mm256_srli_epi32, _mm256_storeu_ps, _mm256_sub_epi32, _mm256_xor_ps,
    _mm256_xor_si256, _xgetbv,
};
use core::sync::atomic::{AtomicU8, Ordering};

use super::BLOCK_LEN;
use super::gaussian::{
    COS, LN, LN_OFFSET, NEG_2_LN_2, PHI_STEP, SIN, TWO_POW_M31, WORD_GAMMA, WORD_M1, WORD_M2,
};

/// `n * WORD_GAMMA` for `n` in `0..BLOCK_LEN`: the counter part of each word of a block.
static COUNTER: [u32; BLOCK_LEN] = {
    let mut t = [0u32; BLOCK_LEN];
    let mut n = 0;
    while n < BLOCK_LEN {
        t[n] = (n as u32).wrapping_mul(WORD_GAMMA);
        n += 1;
    }
    t
};

/// `true` when the running CPU (and OS) support AVX2; detected once, then cached.
#[inline]
pub(crate) fn has_avx2() -> bool {
    if cfg!(target_feature = "avx2") {
        return true;
    }
    // 0: not checked yet, 1: no, 2: yes.
    static STATE: AtomicU8 = AtomicU8::new(0);
    match STATE.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            let yes = detect_avx2();
            STATE.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
            yes
        }
    }
}

fn detect_avx2() -> bool {
    let leaf1 = __cpuid(1);
    let osxsave = (leaf1.ecx >> 27) & 1 == 1;
    let avx = (leaf1.ecx >> 28) & 1 == 1;
    if !(osxsave && avx) || __cpuid(0).eax < 7 {
        return false;
    }
    // SAFETY: CPUID says the OS has enabled XSAVE (OSXSAVE), so `xgetbv` exists.
    let xcr0 = unsafe { xcr0() };
    // The OS saves the SSE (bit 1) and AVX (bit 2) register state.
    let ymm_saved = xcr0 & 0b110 == 0b110;
    ymm_saved && (__cpuid_count(7, 0).ebx >> 5) & 1 == 1
}

#[target_feature(enable = "xsave")]
unsafe fn xcr0() -> u64 {
    // SAFETY: the caller has checked that the OS enabled XSAVE.
    unsafe { _xgetbv(0) }
}

/// Eight words at once: [`super::gaussian::word`] for counters
/// `first .. first + 8` of the block whose key is split into `lo`, `hi`.
#[target_feature(enable = "avx2")]
#[inline]
fn words(lo: __m256i, hi: __m256i, first: usize) -> __m256i {
    let counter = &COUNTER[first..first + 8];
    // SAFETY: `counter` holds 8 `u32`s, exactly the 32 bytes loaded.
    let n = unsafe { _mm256_loadu_si256(counter.as_ptr().cast::<__m256i>()) };
    let mut x = _mm256_add_epi32(lo, n);
    x = _mm256_xor_si256(x, _mm256_srli_epi32::<16>(x));
    x = _mm256_mullo_epi32(x, _mm256_set1_epi32(WORD_M1 as i32));
    x = _mm256_xor_si256(x, _mm256_srli_epi32::<15>(x));
    x = _mm256_xor_si256(x, hi);
    x = _mm256_mullo_epi32(x, _mm256_set1_epi32(WORD_M2 as i32));
    _mm256_xor_si256(x, _mm256_srli_epi32::<16>(x))
}

/// Groups of 8 pairs (16 elements) in a block.
const GROUPS: usize = BLOCK_LEN / 16;
/// Groups computed side by side, so that the long dependency chains of the
/// polynomials overlap.
const SIDE: usize = 4;

/// [`super::gaussian::pair`] on `SIDE` vectors of eight pairs.
#[target_feature(enable = "avx2")]
#[inline]
fn pairs(a: [__m256i; SIDE], b: [__m256i; SIDE]) -> ([__m256; SIDE], [__m256; SIDE]) {
    let ps = _mm256_set1_ps;
    let epi = |x: u32| _mm256_set1_epi32(x as i32);
    let mut r = [ps(0.0); SIDE];
    for g in 0..SIDE {
        let v = _mm256_or_si256(_mm256_srli_epi32::<1>(a[g]), epi(1));
        let ix = _mm256_sub_epi32(_mm256_castps_si256(_mm256_cvtepi32_ps(v)), epi(LN_OFFSET));
        let k = _mm256_srai_epi32::<23>(ix);
        let shift = _mm256_sub_epi32(_mm256_setzero_si256(), k);
        let d = _mm256_xor_si256(_mm256_sllv_epi32(v, shift), epi(0x8000_0000));
        let f = _mm256_mul_ps(_mm256_cvtepi32_ps(d), ps(TWO_POW_M31));
        let f2 = _mm256_mul_ps(f, f);
        let f4 = _mm256_mul_ps(f2, f2);
        let q01 = _mm256_add_ps(ps(LN[0]), _mm256_mul_ps(ps(LN[1]), f));
        let q23 = _mm256_add_ps(ps(LN[2]), _mm256_mul_ps(ps(LN[3]), f));
        let q45 = _mm256_add_ps(ps(LN[4]), _mm256_mul_ps(ps(LN[5]), f));
        let q67 = _mm256_add_ps(ps(LN[6]), _mm256_mul_ps(ps(LN[7]), f));
        let q03 = _mm256_add_ps(q01, _mm256_mul_ps(f2, q23));
        let q47 = _mm256_add_ps(q45, _mm256_mul_ps(f2, q67));
        let q48 = _mm256_add_ps(q47, _mm256_mul_ps(f4, ps(LN[8])));
        let p = _mm256_add_ps(q03, _mm256_mul_ps(f4, q48));
        let kf = _mm256_cvtepi32_ps(k);
        r[g] = _mm256_sqrt_ps(_mm256_add_ps(
            _mm256_mul_ps(kf, ps(NEG_2_LN_2)),
            _mm256_mul_ps(f, p),
        ));
    }
    let mut z0 = [ps(0.0); SIDE];
    let mut z1 = [ps(0.0); SIDE];
    for g in 0..SIDE {
        let b = b[g];
        let odd = _mm256_or_si256(
            _mm256_and_si256(_mm256_slli_epi32::<1>(b), epi(0x00FF_FFFF)),
            epi(1),
        );
        let phi = _mm256_mul_ps(_mm256_cvtepi32_ps(odd), ps(PHI_STEP));
        let x2 = _mm256_mul_ps(phi, phi);
        let mut sp = ps(SIN[3]);
        let mut cp = ps(COS[3]);
        for n in (0..3).rev() {
            sp = _mm256_add_ps(_mm256_mul_ps(sp, x2), ps(SIN[n]));
            cp = _mm256_add_ps(_mm256_mul_ps(cp, x2), ps(COS[n]));
        }
        let s = _mm256_mul_ps(phi, sp);
        // Bit 29 moved to the sign bit selects the swapped pair.
        let swap = _mm256_castsi256_ps(_mm256_slli_epi32::<2>(b));
        let sign0 = _mm256_castsi256_ps(_mm256_and_si256(b, epi(0x8000_0000)));
        let sign1 = _mm256_castsi256_ps(_mm256_and_si256(
            _mm256_slli_epi32::<1>(b),
            epi(0x8000_0000),
        ));
        z0[g] = _mm256_xor_ps(_mm256_mul_ps(r[g], _mm256_blendv_ps(cp, s, swap)), sign0);
        z1[g] = _mm256_xor_ps(_mm256_mul_ps(r[g], _mm256_blendv_ps(s, cp, swap)), sign1);
    }
    (z0, z1)
}

/// [`super::gaussian::block_portable`] on AVX2: the block whose key is `key`.
///
/// A macro rather than a function so that it is always inlined into the
/// AVX2 functions below (`#[inline(always)]` cannot be combined with
/// `#[target_feature]`), where the stores into `out` can be forwarded.
macro_rules! block {
    ($key:expr, $out:expr) => {{
        let key: u64 = $key;
        let out: &mut [f32; BLOCK_LEN] = $out;
        let lo = _mm256_set1_epi32(key as i32);
        let hi = _mm256_set1_epi32((key >> 32) as i32);
        for g0 in (0..GROUPS).step_by(SIDE) {
            let mut a = [_mm256_setzero_si256(); SIDE];
            let mut b = [_mm256_setzero_si256(); SIDE];
            for g in 0..SIDE {
                a[g] = words(lo, hi, 16 * (g0 + g));
                b[g] = words(lo, hi, 16 * (g0 + g) + 8);
            }
            let (z0, z1) = pairs(a, b);
            for g in 0..SIDE {
                let at = 16 * (g0 + g);
                let (first, second) = out[at..at + 16].split_at_mut(8);
                // SAFETY: `first` and `second` are 8 `f32`s each, exactly the 32 bytes stored.
                unsafe {
                    _mm256_storeu_ps(first.as_mut_ptr(), z0[g]);
                    _mm256_storeu_ps(second.as_mut_ptr(), z1[g]);
                }
            }
        }
    }};
}

/// The block whose key is `key`, on AVX2.
///
/// # Safety
///
/// The CPU must support AVX2 ([`has_avx2`]).
#[target_feature(enable = "avx2")]
pub(super) unsafe fn block_avx2(key: u64, out: &mut [f32; BLOCK_LEN]) {
    block!(key, out);
}

/// Calls `op(&mut params[i], scale * z_i)` for every `i`, with `z` the
/// Gaussian stream of `origin` from element 0: the whole loop compiled for
/// AVX2, the caller's operation included.
///
/// # Safety
///
/// The CPU must support AVX2 ([`has_avx2`]).
#[target_feature(enable = "avx2")]
pub(super) unsafe fn apply_avx2<T: crate::Real, F: FnMut(&mut T, T)>(
    origin: u64,
    params: &mut [T],
    scale: T,
    mut op: F,
) {
    let mut z = [0.0f32; BLOCK_LEN];
    for (b, chunk) in params.chunks_mut(BLOCK_LEN).enumerate() {
        block!(super::block_key(origin, b as u64), &mut z);
        for (w, z) in chunk.iter_mut().zip(&z) {
            op(w, scale * T::from_f64(f64::from(*z)));
        }
    }
}

/// [`pairs`] on 64 radius words `a` and 64 angle words `b` (eight vectors
/// of eight lanes, `SIDE` vectors per call), for the tests.
///
/// # Safety
///
/// The CPU must support AVX2 ([`has_avx2`]).
#[cfg(test)]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn pairs_for_test(a: &[u32; 64], b: &[u32; 64]) -> ([f32; 64], [f32; 64]) {
    let mut out0 = [0.0f32; 64];
    let mut out1 = [0.0f32; 64];
    for chunk in 0..64 / (8 * SIDE) {
        let load = |w: &[u32; 64], g: usize| {
            let at = 8 * (SIDE * chunk + g);
            // SAFETY: 8 `u32`s, exactly the 32 bytes loaded.
            unsafe { _mm256_loadu_si256(w[at..at + 8].as_ptr().cast::<__m256i>()) }
        };
        let (z0, z1) = pairs(
            core::array::from_fn(|g| load(a, g)),
            core::array::from_fn(|g| load(b, g)),
        );
        for g in 0..SIDE {
            let at = 8 * (SIDE * chunk + g);
            // SAFETY: each destination is 8 `f32`s, exactly the 32 bytes stored.
            unsafe {
                _mm256_storeu_ps(out0[at..at + 8].as_mut_ptr(), z0[g]);
                _mm256_storeu_ps(out1[at..at + 8].as_mut_ptr(), z1[g]);
            }
        }
    }
    (out0, out1)
}
