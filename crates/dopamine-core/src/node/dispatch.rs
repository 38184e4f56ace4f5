//! Runs Dopamine-3's hot loops compiled for AVX2 when the CPU has it, and square roots eight at a time: the same IEEE operations, the same bits.

#[cfg(target_arch = "x86_64")]
use core::any::TypeId;

use crate::real::Real;

/// Runs `f`, inlined into a function compiled with AVX2 when the CPU has
/// it (checked once with `cpuid`), portable otherwise. `f` and what it
/// calls must be `#[inline(always)]` for the AVX2 copy to use AVX2; Rust
/// never contracts `a * b + c` into a fused multiply-add, so both copies
/// perform the same operations and return the same bits.
#[inline(always)]
pub(crate) fn dispatch<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if crate::noise::has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { avx2(f) };
    }
    portable(f)
}

/// `f` compiled with AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// `f` for the target's baseline.
#[inline(never)]
fn portable<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Replaces every value by its square root: `vsqrtps`/`vsqrtpd` on eight
/// or four values at a time when the CPU has AVX2, [`Real::sqrt`]
/// otherwise (and for the remainder). Both are IEEE square roots,
/// correctly rounded, so the bits are the same.
#[inline(always)]
pub(crate) fn sqrt_in_place<T: Real>(xs: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    if crate::noise::has_avx2() {
        let done = if TypeId::of::<T>() == TypeId::of::<f32>() {
            // SAFETY: `T` is `f32` (same layout), and the CPU has AVX2.
            unsafe {
                let xs = core::slice::from_raw_parts_mut(xs.as_mut_ptr().cast::<f32>(), xs.len());
                sqrt_f32_avx2(xs)
            }
        } else if TypeId::of::<T>() == TypeId::of::<f64>() {
            // SAFETY: `T` is `f64` (same layout), and the CPU has AVX2.
            unsafe {
                let xs = core::slice::from_raw_parts_mut(xs.as_mut_ptr().cast::<f64>(), xs.len());
                sqrt_f64_avx2(xs)
            }
        } else {
            0
        };
        for x in &mut xs[done..] {
            *x = x.sqrt();
        }
        return;
    }
    for x in xs.iter_mut() {
        *x = x.sqrt();
    }
}

/// Square roots of the leading multiple of 8 values; returns how many.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sqrt_f32_avx2(xs: &mut [f32]) -> usize {
    use core::arch::x86_64::{_mm256_loadu_ps, _mm256_sqrt_ps, _mm256_storeu_ps};
    let whole = xs.len() / 8 * 8;
    for chunk in xs[..whole].chunks_exact_mut(8) {
        // SAFETY: the chunk holds 8 values.
        unsafe {
            let v = _mm256_loadu_ps(chunk.as_ptr());
            _mm256_storeu_ps(chunk.as_mut_ptr(), _mm256_sqrt_ps(v));
        }
    }
    whole
}

/// Square roots of the leading multiple of 4 values; returns how many.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sqrt_f64_avx2(xs: &mut [f64]) -> usize {
    use core::arch::x86_64::{_mm256_loadu_pd, _mm256_sqrt_pd, _mm256_storeu_pd};
    let whole = xs.len() / 4 * 4;
    for chunk in xs[..whole].chunks_exact_mut(4) {
        // SAFETY: the chunk holds 4 values.
        unsafe {
            let v = _mm256_loadu_pd(chunk.as_ptr());
            _mm256_storeu_pd(chunk.as_mut_ptr(), _mm256_sqrt_pd(v));
        }
    }
    whole
}
