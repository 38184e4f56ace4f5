//! The `Real` trait: the floating-point types (`f32`, `f64`) the kernel is generic over.

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point scalar the rules and kernels can run on: `f32` or `f64`.
///
/// The trait is sealed: the kernel's accuracy guarantees (ulp bounds of a
/// restore, statistics of the noise) are tested for exactly these two types.
/// Math functions go through `libm`, so they behave the same with and without
/// `std` and on every target.
pub trait Real:
    sealed::Sealed
    + Copy
    + Default
    + PartialOrd
    + Debug
    + Display
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
{
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Machine epsilon of the type.
    const EPSILON: Self;
    /// Number of bits in the mantissa, including the implicit bit.
    const MANTISSA_DIGITS: u32;
    /// The largest finite value.
    const MAX: Self;

    /// Converts from `f64`, rounding to nearest.
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// Converts from `usize` (rounding for huge values).
    fn from_usize(n: usize) -> Self;
    /// `true` when the value is neither NaN nor infinite.
    fn is_finite(self) -> bool;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Sine.
    fn sin(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// `e^self`.
    fn exp(self) -> Self;
    /// `self^n` for a float exponent.
    fn powf(self, n: Self) -> Self;
    /// The larger of two values (NaN-ignoring, like `f64::max`).
    fn max(self, other: Self) -> Self;
    /// The smaller of two values (NaN-ignoring, like `f64::min`).
    fn min(self, other: Self) -> Self;
}

macro_rules! impl_real {
    ($t:ty, $sqrt:path, $abs:path, $ln:path, $cos:path, $sin:path, $tanh:path, $exp:path, $pow:path) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const EPSILON: Self = <$t>::EPSILON;
            const MANTISSA_DIGITS: u32 = <$t>::MANTISSA_DIGITS;
            const MAX: Self = <$t>::MAX;

            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_usize(n: usize) -> Self {
                n as $t
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                $sqrt(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                $abs(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                $ln(self)
            }
            #[inline(always)]
            fn cos(self) -> Self {
                $cos(self)
            }
            #[inline(always)]
            fn sin(self) -> Self {
                $sin(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                $tanh(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline(always)]
            fn powf(self, n: Self) -> Self {
                $pow(self, n)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[inline(always)]
            fn min(self, other: Self) -> Self {
                <$t>::min(self, other)
            }
        }
    };
}

impl_real!(
    f32,
    libm::sqrtf,
    libm::fabsf,
    libm::logf,
    libm::cosf,
    libm::sinf,
    libm::tanhf,
    libm::expf,
    libm::powf
);
impl_real!(
    f64,
    libm::sqrt,
    libm::fabs,
    libm::log,
    libm::cos,
    libm::sin,
    libm::tanh,
    libm::exp,
    libm::pow
);

#[cfg(test)]
mod tests {
    use super::Real;

    #[test]
    fn conversions_round_trip() {
        assert_eq!(<f64 as Real>::from_f64(0.1).to_f64(), 0.1);
        assert_eq!(<f32 as Real>::from_f64(0.5).to_f64(), 0.5);
        assert!(!<f32 as Real>::is_finite(f32::NAN));
        assert_eq!(<f64 as Real>::sqrt(9.0), 3.0);
    }
}
