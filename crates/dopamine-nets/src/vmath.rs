//! Vectorised elementwise math: `tanh` and the logistic sigmoid for `f32`
//! and `f64`, over whole slices or one value at a time, with the same bits
//! on every CPU.
//!
//! Every forward and backward pass of [`crate::Mlp`] and [`crate::Rnn`]
//! evaluates its activations here (through [`crate::Activation`]); the
//! derivatives of backprop and BPTT are computed from these outputs.
//!
//! # Method
//!
//! Both functions are branch-free (comparisons become selects), so the
//! compiler vectorises the slice loops; they use no table lookups and no
//! fused multiply-add.
//!
//! * **`tanh`**, on `a = |x|`, sign restored at the end (so `tanh` is exactly
//!   odd and `tanh(-0) = -0`):
//!   * `a < 0.625`: `a + a z p(z)` with `z = a²` and `p` a polynomial of
//!     degree 5 (`f32`) or 11 (`f64`) in `z`: the Chebyshev fit of
//!     `(tanh(√z) - √z) / z^{3/2}` on `[0, 0.625²]` (`mpmath.chebyfit`, 60
//!     digits; fit error 6e-10 (`f32`) and 2e-18 (`f64`) relative to `tanh`);
//!   * otherwise `1 - 2 / (exp(2 min(a, c)) + 1)` with `c = 10` (`f32`) or
//!     `20` (`f64`), past which the result rounds to exactly 1 anyway.
//! * **sigmoid**: with `e = exp(-|x|)` (argument clamped at `-110` (`f32`)
//!   or `-750` (`f64`), where `e` rounds to 0), `1 / (1 + e)` for `x >= 0`
//!   and `e / (1 + e)` (computed as `e * (1 / (1 + e))`) for `x < 0`, so it
//!   never overflows and keeps its relative accuracy for large negative `x`.
//! * **`exp`** (internal): `k = round(y / ln 2)` (by adding and subtracting
//!   `1.5 * 2^mantissa bits`, which rounds to an integer in any SIMD width),
//!   `r = y - k ln 2` with `ln 2` split in two (Cody-Waite), then the Taylor
//!   polynomial of degree 7 (`f32`) or 13 (`f64`) on `|r| <= ln 2 / 2`
//!   (truncation error below 5e-9 and 1e-18; `f32` by Estrin's scheme, which
//!   shortens the chain of dependent operations, `f64` by Horner's, which
//!   keeps the sigmoid within 3 ulps), scaled by `2^(k - k/2)` and
//!   `2^(k/2)` (two steps, so results down to the subnormals round once).
//!
//! # Accuracy
//!
//! Maximum error against `libm` (the crate this project's `Real::tanh` and
//! `Real::exp` use; the sigmoid reference is the previous `libm`-based
//! formula, `1 / (1 + exp(-x))` for `x >= 0` and `exp(x) / (1 + exp(x))`
//! below), in units in the last place of the reference value and absolute,
//! measured by `tests/vmath.rs`: for `tanh`, every `f32` of `[2^-12, 12]`
//! (every 7th below; `tanh` is exactly odd), 1e7 evenly spaced `f64` points
//! of `[-25, 25]` plus 1e6 around the switch at 0.625 and 1e6 in
//! `[1e-300, 1e-3]`; for the sigmoid, every `f32` of `[-120, -2^-12]` and
//! `[2^-12, 30]` (every 7th between), 1e7 `f64` points of `[-760, 40]` plus
//! 1e6 in `[-5, 5]`; and a property test over arbitrary bit patterns:
//!
//! | function | type  | max error (ulps) | max error (absolute) |
//! | :------- | :---- | ---------------: | -------------------: |
//! | `tanh`   | `f32` |                2 |              1.2e-7  |
//! | `tanh`   | `f64` |                2 |              2.2e-16 |
//! | sigmoid  | `f32` |                3 |              1.2e-7  |
//! | sigmoid  | `f64` |                3 |              2.2e-16 |
//!
//! The tests pin these bounds. Special values: `tanh(±inf) = ±1`,
//! `sigmoid(+inf) = 1`, `sigmoid(-inf) = 0`, NaN gives NaN, `tanh(-0) = -0`;
//! saturation is exact: `tanh` is `±1` from `|x| = 9.02` (`f32`) and `19.07`
//! (`f64`) on (where `libm`'s is too), the sigmoid is 1 from 17.5 and 37.5
//! on and 0 below -104 and -746 (tested at those points and beyond; the
//! ulp bounds above hold in between).
//!
//! # Determinism
//!
//! The slice functions are compiled twice — portable and, on x86-64 CPUs
//! with AVX2, with AVX2 enabled (chosen at run time) — from the same code:
//! a fixed sequence of IEEE-754 additions, multiplications, divisions,
//! comparisons, selects and bit operations per element, which Rust never
//! contracts into fused multiply-adds. So the results are bit-identical
//! whatever the CPU, the slice length or alignment and the thread count,
//! and the scalar functions ([`tanh`], [`sigmoid`]) give the same bits as
//! the slice functions.

pub(crate) mod sealed {
    //! Seals [`super::VectorMath`] and carries what the crate's explicit
    //! SIMD kernels need of an element type.

    /// Implemented for `f32` and `f64` only.
    #[cfg(target_arch = "x86_64")]
    pub trait Sealed: crate::simd::StepAvx2 + crate::simd_lanes::LanesAvx2 + Parts {}
    /// Implemented for `f32` and `f64` only.
    #[cfg(not(target_arch = "x86_64"))]
    pub trait Sealed: Parts {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}

    /// The two branches of the `tanh`, for kernels that evaluate only the
    /// one a whole vector of values needs (the same bits as `vtanh`).
    pub trait Parts: Copy {
        /// Values per AVX2 vector.
        const LANES: usize;
        /// `|self| < 0.625`: `vtanh` takes the polynomial branch.
        fn tanh_is_small(self) -> bool;
        /// The polynomial branch (`vtanh` where `tanh_is_small`).
        fn tanh_small(self) -> Self;
        /// The exponential branch (`vtanh` elsewhere, NaN included).
        fn tanh_large(self) -> Self;
    }
}

/// The floating-point types with vectorised activations: `f32` and `f64`
/// (sealed). Part of [`crate::Scalar`].
pub trait VectorMath: sealed::Sealed + Copy {
    /// `tanh(self)` by this module's approximation.
    fn vtanh(self) -> Self;
    /// The logistic sigmoid `1 / (1 + e^-self)` by this module's
    /// approximation.
    fn vsigmoid(self) -> Self;
    /// Replaces every value by its `tanh` (same bits as [`VectorMath::vtanh`]).
    fn tanh_slice(xs: &mut [Self]);
    /// Replaces every value by its sigmoid (same bits as
    /// [`VectorMath::vsigmoid`]).
    fn sigmoid_slice(xs: &mut [Self]);
}

/// `tanh(x)`, the same bits as [`tanh_in_place`] gives for `x`.
#[inline]
pub fn tanh<T: VectorMath>(x: T) -> T {
    x.vtanh()
}

/// The logistic sigmoid `1 / (1 + e^-x)`, the same bits as
/// [`sigmoid_in_place`] gives for `x`.
#[inline]
pub fn sigmoid<T: VectorMath>(x: T) -> T {
    x.vsigmoid()
}

/// Replaces every value of `xs` by its `tanh`, vectorised (AVX2 when the CPU
/// has it; the same bits either way).
#[inline]
pub fn tanh_in_place<T: VectorMath>(xs: &mut [T]) {
    T::tanh_slice(xs);
}

/// Replaces every value of `xs` by its logistic sigmoid, vectorised (AVX2
/// when the CPU has it; the same bits either way).
#[inline]
pub fn sigmoid_in_place<T: VectorMath>(xs: &mut [T]) {
    T::sigmoid_slice(xs);
}

/// The instruction set a [`Kernel`] is compiled for: [`Portable`] or
/// [`Avx2`]. Kernels may branch on [`Isa::AVX2`] to call explicit AVX2
/// code; only [`dispatch`] instantiates them with [`Avx2`], after checking
/// the CPU.
pub(crate) trait Isa {
    /// `true` when the CPU has AVX2 (checked by [`dispatch`]).
    const AVX2: bool;
}

/// Baseline code, any CPU.
pub(crate) struct Portable;

impl Isa for Portable {
    const AVX2: bool = false;
}

/// Code for a CPU with AVX2.
#[cfg(target_arch = "x86_64")]
pub(crate) struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Isa for Avx2 {
    const AVX2: bool = true;
}

/// A computation to be compiled for the best instruction set the CPU has
/// (see [`dispatch`]). `run` must be `#[inline(always)]`, and so must
/// everything it calls, for the dispatched copy to use AVX2.
pub(crate) trait Kernel {
    /// What the computation returns.
    type Output;
    /// Runs it, compiled for `I`.
    fn run<I: Isa>(self) -> Self::Output;
}

/// Whether [`dispatch`] runs the AVX2 copy of a kernel on this CPU.
#[inline]
pub(crate) fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        return true;
    }
    false
}

/// Runs `kernel` compiled with AVX2 when the CPU has it, portable otherwise.
/// Both copies perform the same IEEE operations (no fused multiply-add), so
/// they return the same bits.
#[inline]
pub(crate) fn dispatch<K: Kernel>(kernel: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { run_avx2(kernel) };
    }
    kernel.run::<Portable>()
}

/// [`Kernel::run`] compiled with AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2<K: Kernel>(kernel: K) -> K::Output {
    kernel.run::<Avx2>()
}

/// `tanh` over a slice, as a [`Kernel`].
struct TanhSlice<'a, T>(&'a mut [T]);

impl<T: VectorMath> Kernel for TanhSlice<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self) {
        for x in self.0.iter_mut() {
            *x = x.vtanh();
        }
    }
}

/// The sigmoid over a slice, as a [`Kernel`].
struct SigmoidSlice<'a, T>(&'a mut [T]);

impl<T: VectorMath> Kernel for SigmoidSlice<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self) {
        for x in self.0.iter_mut() {
            *x = x.vsigmoid();
        }
    }
}

/// The per-type element kernels, `#[inline(always)]` so that a dispatched
/// [`Kernel`] inlines and vectorises them. Only `+ - * /`, comparisons
/// turned into selects and bit operations.
macro_rules! element_kernels {
    (
        $t:ty, $bits:ty, $ibits:ty, mantissa: $mant:expr, bias: $bias:expr,
        ln2_hi: $ln2_hi:expr, ln2_lo: $ln2_lo:expr,
        exp_poly: |$r:ident| $exp_body:expr,
        tanh_poly: [$($p:expr),+ $(,)?],
        tanh_clamp: $tclamp:expr, sigmoid_floor: $sfloor:expr,
        mod $m:ident
    ) => {
        mod $m {
            const SIGN: $bits = 1 << (<$bits>::BITS - 1);
            /// `1.5 * 2^mant`: adding and subtracting it rounds to an integer.
            const ROUND: $t = 1.5 * (1u64 << $mant) as $t;
            const LOG2_E: $t = core::f64::consts::LOG2_E as $t;

            /// Horner evaluation of a polynomial given highest degree first.
            #[inline(always)]
            fn horner(x: $t, coefficients: &[$t]) -> $t {
                let mut acc = coefficients[0];
                for &c in &coefficients[1..] {
                    acc = acc * x + c;
                }
                acc
            }

            /// The Taylor polynomial of `e^r` by Estrin's scheme.
            #[inline(always)]
            fn exp_poly($r: $t) -> $t {
                $exp_body
            }

            /// `e^y` for `y` in the range the callers clamp to (both scale
            /// factors normal); NaN gives NaN.
            #[inline(always)]
            pub(super) fn exp(y: $t) -> $t {
                let shifted = y * LOG2_E + ROUND;
                let k = shifted - ROUND;
                // The integer k sits in the low mantissa bits of `shifted`.
                let ki = shifted.to_bits().wrapping_sub(ROUND.to_bits()) as $ibits;
                let r = (y - k * $ln2_hi) - k * $ln2_lo;
                let p = exp_poly(r);
                let k1 = ki >> 1;
                let k2 = ki.wrapping_sub(k1);
                let s1 = <$t>::from_bits((k1.wrapping_add($bias) as $bits).wrapping_shl($mant));
                let s2 = <$t>::from_bits((k2.wrapping_add($bias) as $bits).wrapping_shl($mant));
                p * s1 * s2
            }

            /// [`exp`] for `y` in `[0, 2 tanh_clamp]` (the `tanh`'s
            /// argument), where `2^k` is a normal number and `p 2^k` does
            /// not overflow: one exact scaling by `2^k` instead of two, the
            /// same bits as [`exp`] there (and the same NaN), with fewer
            /// operations.
            #[inline(always)]
            fn exp_tanh_range(y: $t) -> $t {
                let shifted = y * LOG2_E + ROUND;
                let k = shifted - ROUND;
                let ki = shifted.to_bits().wrapping_sub(ROUND.to_bits()) as $ibits;
                let r = (y - k * $ln2_hi) - k * $ln2_lo;
                let p = exp_poly(r);
                p * <$t>::from_bits((ki.wrapping_add($bias) as $bits).wrapping_shl($mant))
            }

            /// `|x| < 0.625`: the `tanh` takes its polynomial branch.
            #[inline(always)]
            pub(super) fn tanh_is_small(x: $t) -> bool {
                <$t>::from_bits(x.to_bits() & !SIGN) < 0.625
            }

            /// The `tanh`'s polynomial branch, exact for `|x| < 0.625`.
            #[inline(always)]
            pub(super) fn tanh_small(x: $t) -> $t {
                let bits = x.to_bits();
                let a = <$t>::from_bits(bits & !SIGN);
                let z = a * a;
                let small = a + a * (z * horner(z, &[$($p),+]));
                <$t>::from_bits(small.to_bits() | (bits & SIGN))
            }

            /// The `tanh`'s exponential branch, exact for `|x| >= 0.625`
            /// and NaN.
            #[inline(always)]
            pub(super) fn tanh_large(x: $t) -> $t {
                let bits = x.to_bits();
                let a = <$t>::from_bits(bits & !SIGN);
                let clamped = if a > $tclamp { $tclamp } else { a };
                let e = exp_tanh_range(clamped + clamped);
                let large = 1.0 - 2.0 / (e + 1.0);
                <$t>::from_bits(large.to_bits() | (bits & SIGN))
            }

            #[inline(always)]
            pub(super) fn tanh(x: $t) -> $t {
                let bits = x.to_bits();
                let sign = bits & SIGN;
                let a = <$t>::from_bits(bits & !SIGN);
                // Small |x|: odd polynomial.
                let z = a * a;
                let small = a + a * (z * horner(z, &[$($p),+]));
                // Otherwise 1 - 2 / (e^{2a} + 1); NaN passes the clamp.
                let clamped = if a > $tclamp { $tclamp } else { a };
                let e = exp_tanh_range(clamped + clamped);
                let large = 1.0 - 2.0 / (e + 1.0);
                let magnitude = if a < 0.625 { small } else { large };
                <$t>::from_bits(magnitude.to_bits() | sign)
            }

            #[inline(always)]
            pub(super) fn sigmoid(x: $t) -> $t {
                let bits = x.to_bits();
                let minus_a = <$t>::from_bits(bits | SIGN);
                // NaN passes the clamp.
                let y = if minus_a < $sfloor { $sfloor } else { minus_a };
                let e = exp(y);
                let s = 1.0 / (1.0 + e);
                if x < 0.0 { e * s } else { s }
            }
        }
    };
}

element_kernels!(
    f32, u32, i32, mantissa: 23, bias: 127,
    ln2_hi: 0.693_359_4_f32, // exactly 0.693359375 = 355/512
    ln2_lo: -2.121_944_4e-4_f32,
    exp_poly: |r| {
        // Estrin's scheme over 1, 1, 1/2!, ..., 1/7! (a shorter dependency
        // chain than Horner's: the RNN step at small H waits on tanh).
        let r2 = r * r;
        let r4 = r2 * r2;
        let low = (1.0 + r) + r2 * (0.5 + r * (1.0 / 6.0));
        let high = (1.0 / 24.0 + r * (1.0 / 120.0)) + r2 * (1.0 / 720.0 + r * (1.0 / 5040.0));
        low + r4 * high
    },
    tanh_poly: [
        2.292_744_8e-3, -8.343_945e-3, 2.176_891_8e-2, -5.395_925_8e-2, 1.333_330_4e-1,
        -3.333_333_4e-1,
    ],
    tanh_clamp: 10.0, sigmoid_floor: -110.0,
    mod f32_kernels
);

element_kernels!(
    f64, u64, i64, mantissa: 52, bias: 1023,
    ln2_hi: 6.931_471_803_691_238e-1, ln2_lo: 1.908_214_929_270_587_7e-10,
    exp_poly: |r| {
        // Horner's scheme over 1/i!, i = 0..=13 (Estrin's, as for f32,
        // measured 5 ulps instead of 3 on the sigmoid).
        let mut p = 1.0 / 6_227_020_800.0;
        for c in [
            1.0 / 479_001_600.0,
            1.0 / 39_916_800.0,
            1.0 / 3_628_800.0,
            1.0 / 362_880.0,
            1.0 / 40_320.0,
            1.0 / 5_040.0,
            1.0 / 720.0,
            1.0 / 120.0,
            1.0 / 24.0,
            1.0 / 6.0,
            0.5,
            1.0,
            1.0,
        ] {
            p = p * r + c;
        }
        p
    },
    tanh_poly: [
        6.485_163_482_793_113e-6, -3.120_110_142_579_74e-5, 9.257_116_129_556_769e-5,
        -2.375_906_496_055_562e-4, 5.896_606_577_757_043e-4, -1.455_775_412_047_805_5e-3,
        3.592_121_751_154_962_2e-3, -8.863_235_103_240_878e-3, 2.186_948_851_900_830_5e-2,
        -5.396_825_396_789_699e-2, 1.333_333_333_333_304_2e-1, -3.333_333_333_333_333e-1,
    ],
    tanh_clamp: 20.0, sigmoid_floor: -750.0,
    mod f64_kernels
);

macro_rules! impl_vector_math {
    ($t:ty, $m:ident) => {
        impl VectorMath for $t {
            #[inline(always)]
            fn vtanh(self) -> Self {
                $m::tanh(self)
            }
            #[inline(always)]
            fn vsigmoid(self) -> Self {
                $m::sigmoid(self)
            }
            fn tanh_slice(xs: &mut [Self]) {
                dispatch(TanhSlice(xs));
            }
            fn sigmoid_slice(xs: &mut [Self]) {
                dispatch(SigmoidSlice(xs));
            }
        }
    };
}

impl_vector_math!(f32, f32_kernels);
impl_vector_math!(f64, f64_kernels);

macro_rules! impl_parts {
    ($t:ty, $m:ident) => {
        impl sealed::Parts for $t {
            const LANES: usize = 32 / core::mem::size_of::<$t>();
            #[inline(always)]
            fn tanh_is_small(self) -> bool {
                $m::tanh_is_small(self)
            }
            #[inline(always)]
            fn tanh_small(self) -> Self {
                $m::tanh_small(self)
            }
            #[inline(always)]
            fn tanh_large(self) -> Self {
                $m::tanh_large(self)
            }
        }
    };
}

impl_parts!(f32, f32_kernels);
impl_parts!(f64, f64_kernels);

/// `tanh` of every value of `xs` (the bits of [`VectorMath::vtanh`]),
/// evaluating per AVX2 vector of values only the branch that vector needs:
/// the polynomial where every value is below 0.625 in magnitude, the
/// exponential where none is, both where they mix. For blocks whose vectors
/// hold one unit of nearby points (a population stored point-minor), whose
/// values nearly always fall on one side.
#[inline(always)]
pub(crate) fn tanh_by_vector<T: VectorMath>(xs: &mut [T]) {
    let mut chunks = xs.chunks_exact_mut(T::LANES);
    for c in &mut chunks {
        let (mut all_small, mut any_small) = (true, false);
        for &x in c.iter() {
            let small = x.tanh_is_small();
            all_small &= small;
            any_small |= small;
        }
        if all_small {
            for x in c.iter_mut() {
                *x = x.tanh_small();
            }
        } else if !any_small {
            for x in c.iter_mut() {
                *x = x.tanh_large();
            }
        } else {
            for x in c.iter_mut() {
                *x = x.vtanh();
            }
        }
    }
    for x in chunks.into_remainder() {
        *x = x.vtanh();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dispatched slices, portable slices and scalar calls agree bit for bit.
    fn check<T: VectorMath + PartialEq + core::fmt::Debug>(xs: &[T], to_bits: fn(T) -> u64) {
        let mut dispatched = xs.to_vec();
        let mut portable = xs.to_vec();
        tanh_in_place(&mut dispatched);
        TanhSlice(&mut portable).run::<Portable>();
        for ((a, b), &x) in dispatched.iter().zip(&portable).zip(xs) {
            assert_eq!(to_bits(*a), to_bits(*b));
            assert_eq!(to_bits(*a), to_bits(tanh(x)));
        }
        let mut dispatched = xs.to_vec();
        let mut portable = xs.to_vec();
        sigmoid_in_place(&mut dispatched);
        SigmoidSlice(&mut portable).run::<Portable>();
        for ((a, b), &x) in dispatched.iter().zip(&portable).zip(xs) {
            assert_eq!(to_bits(*a), to_bits(*b));
            assert_eq!(to_bits(*a), to_bits(sigmoid(x)));
        }
    }

    #[test]
    fn dispatched_slices_equal_portable_and_scalar_bits() {
        // Lengths that leave every kind of SIMD remainder; values across
        // both tanh branches, the saturation, sigmoid's subnormal range and
        // the special values.
        for len in [0usize, 1, 3, 7, 8, 9, 31, 64, 1000, 20_000] {
            let mut xs64: Vec<f64> = (0..len)
                .map(|i| (i as f64 * 0.731 - 0.5 * len as f64) * 0.071)
                .collect();
            if len > 8 {
                xs64[..5].copy_from_slice(&[f64::NAN, f64::INFINITY, -f64::INFINITY, 0.0, -0.0]);
            }
            let xs32: Vec<f32> = xs64.iter().map(|&x| x as f32).collect();
            check(&xs32, |x| u64::from(x.to_bits()));
            check(&xs64, f64::to_bits);
        }
    }
}
