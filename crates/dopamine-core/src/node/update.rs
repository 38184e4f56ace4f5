//! Applying Dopamine-3's estimate to the weights: the optional per-synapse second-moment normalisation and the checks that keep the weights finite.

use crate::real::Real;
use crate::rules::second_moment::{SecondMomentConfig, normalise};

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Why an update was refused (nothing was written: neither the weights
/// nor the second moments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum UpdateRejection {
    /// The estimate (or its square, for the second moment) is NaN or
    /// infinite.
    NonFinite,
    /// A weight would leave `[-limit, limit]`, the limit 256 ulps below the
    /// type's largest value.
    TooLarge,
}

/// The largest `|w|` an update may leave: `MAX (1 - 2^-(digits - 8))`.
pub(crate) fn weight_limit<T: Real>() -> f64 {
    let max = T::MAX.to_f64();
    max * (1.0 - libm::ldexp(1.0, -(T::MANTISSA_DIGITS as i32 - 8)))
}

/// The normalisation's state that the update needs.
pub(crate) struct Moment<'a, T> {
    pub(crate) config: SecondMomentConfig<T>,
    pub(crate) u: &'a mut [T],
    /// `1 - beta2^(t + 1)` for this update.
    pub(crate) correction: T,
}

/// `w += eta n(g_i scale)` for every weight, where `n` is the identity or
/// the second-moment normalisation, if every value is finite and every new
/// weight stays within the limit; otherwise writes nothing. `g` holds the
/// accumulated sums, `scale` turns them into the estimate (`1 / sigma^2`).
pub(crate) fn apply<T: Real>(
    params: &mut [T],
    g: &[T],
    scale: T,
    eta: T,
    moment: Option<Moment<'_, T>>,
) -> Result<(), UpdateRejection> {
    let limit = weight_limit::<T>();
    let within = |x: T| x.is_finite() && x.abs().to_f64() <= limit;
    if !(scale.is_finite() && eta.is_finite()) {
        return Err(UpdateRejection::NonFinite);
    }
    match moment {
        None => {
            let mut finite = true;
            let mut fits = true;
            for (w, g) in params.iter().zip(g) {
                let step = *g * scale;
                finite &= step.is_finite();
                fits &= within(*w + eta * step);
            }
            check(finite, fits)?;
            for (w, g) in params.iter_mut().zip(g) {
                *w += eta * (*g * scale);
            }
        }
        Some(Moment {
            config,
            u,
            correction,
        }) => {
            let SecondMomentConfig { beta2, eps } = config;
            let mut finite = true;
            let mut fits = true;
            for ((w, g), u) in params.iter().zip(g).zip(u.iter()) {
                let d = *g * scale;
                let (u1, n) = normalise(*u, d, beta2, correction, eps);
                finite &= d.is_finite() && u1.is_finite() && n.is_finite();
                fits &= within(*w + eta * n);
            }
            check(finite, fits)?;
            for ((w, g), u) in params.iter_mut().zip(g).zip(u.iter_mut()) {
                let (u1, n) = normalise(*u, *g * scale, beta2, correction, eps);
                *u = u1;
                *w += eta * n;
            }
        }
    }
    Ok(())
}

fn check(finite: bool, fits: bool) -> Result<(), UpdateRejection> {
    if !finite {
        Err(UpdateRejection::NonFinite)
    } else if !fits {
        Err(UpdateRejection::TooLarge)
    } else {
        Ok(())
    }
}

/// FLOPs of [`apply`] on `p` weights: the checking pass and the writing
/// pass, each `p` times 3 (scale, multiply by `eta`, add) or 11 with the
/// normalisation (scale; `u`: 4; `n`: divide, square root, add, divide;
/// multiply by `eta`, add).
pub(crate) fn apply_flops(p: u64, normalised: bool) -> u64 {
    2 * p * if normalised { 11 } else { 3 }
}
