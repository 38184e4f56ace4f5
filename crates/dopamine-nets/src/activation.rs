//! Elementwise activation functions and their derivatives.
//!
//! `tanh` and the sigmoid are [`crate::vmath`]'s vectorised approximations
//! (at most 2 and 3 ulps from `libm`), one value at a time
//! ([`Activation::apply`]) or over a slice ([`Activation::apply_in_place`])
//! with the same bits either way.

use crate::Scalar;
use crate::vmath;

/// The nonlinearity a layer applies to its pre-activation `z = W a + b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `f(z) = z`.
    Identity,
    /// `f(z) = tanh(z)` ([`vmath::tanh`]).
    Tanh,
    /// `f(z) = 1 / (1 + e^-z)`, evaluated without overflow for any `z`
    /// ([`vmath::sigmoid`]).
    Sigmoid,
    /// `f(z) = max(z, 0)`; its derivative at exactly 0 is taken as 0.
    Relu,
}

impl Activation {
    /// Applies the activation to one value.
    #[inline]
    pub fn apply<T: Scalar>(self, z: T) -> T {
        match self {
            Self::Identity => z,
            Self::Tanh => z.vtanh(),
            Self::Sigmoid => z.vsigmoid(),
            Self::Relu => {
                if z > T::ZERO {
                    z
                } else {
                    T::ZERO
                }
            }
        }
    }

    /// Applies the activation to every value of `zs` in place, vectorised;
    /// the same bits as [`Activation::apply`] on each value.
    #[inline]
    pub fn apply_in_place<T: Scalar>(self, zs: &mut [T]) {
        match self {
            Self::Identity => {}
            Self::Tanh => vmath::tanh_in_place(zs),
            Self::Sigmoid => vmath::sigmoid_in_place(zs),
            Self::Relu => {
                for z in zs {
                    *z = if *z > T::ZERO { *z } else { T::ZERO };
                }
            }
        }
    }

    /// The derivative `f'(z)`, computed from the *output* `y = f(z)` (every
    /// activation here allows it, so backprop only needs the outputs).
    #[inline]
    pub fn derivative_from_output<T: Scalar>(self, y: T) -> T {
        match self {
            Self::Identity => T::ONE,
            Self::Tanh => T::ONE - y * y,
            Self::Sigmoid => y * (T::ONE - y),
            Self::Relu => {
                if y > T::ZERO {
                    T::ONE
                } else {
                    T::ZERO
                }
            }
        }
    }

    /// `true` for [`Activation::Identity`], whose application and derivative
    /// cost nothing (the FLOP accounting counts them as zero).
    #[inline]
    pub fn is_identity(self) -> bool {
        matches!(self, Self::Identity)
    }
}

#[cfg(test)]
mod tests {
    use super::Activation;

    #[test]
    fn derivatives_match_finite_differences() {
        for act in [
            Activation::Identity,
            Activation::Tanh,
            Activation::Sigmoid,
            Activation::Relu,
        ] {
            for &z in &[-2.3_f64, -0.4, 0.7, 3.1] {
                let h = 1e-6;
                let fd = (act.apply(z + h) - act.apply(z - h)) / (2.0 * h);
                let an = act.derivative_from_output(act.apply(z));
                assert!((fd - an).abs() < 1e-8, "{act:?} at {z}: {fd} vs {an}");
            }
        }
    }

    #[test]
    fn sigmoid_is_stable_at_extremes() {
        assert_eq!(Activation::Sigmoid.apply(-1000.0_f64), 0.0);
        assert_eq!(Activation::Sigmoid.apply(1000.0_f64), 1.0);
        assert!(Activation::Sigmoid.apply(-100.0_f32).is_finite());
    }
}
