//! Runs Dopamine-3's hot loops compiled for AVX2 when the CPU has it: the same code, the same IEEE operations, the same bits.

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
