//! Applying Dopamine-3's estimate to the weights: the optional per-synapse second-moment normalisation and the checks that keep the weights finite.

use crate::node::dispatch::dispatch;
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
/// weight stays within the limit; otherwise writes nothing (but `g`, which
/// the caller clears afterwards). `g` holds the accumulated sums, `scale`
/// turns them into the estimate (`1 / sigma^2`). Compiled for AVX2 when
/// the CPU has it.
pub(crate) fn apply<T: Real>(
    params: &mut [T],
    g: &mut [T],
    scale: T,
    eta: T,
    moment: Option<Moment<'_, T>>,
) -> Result<(), UpdateRejection> {
    if !(scale.is_finite() && eta.is_finite()) {
        return Err(UpdateRejection::NonFinite);
    }
    dispatch(
        #[inline(always)]
        || apply_checked(params, g, scale, eta, moment),
    )
}

/// The two passes of [`apply`]: the first computes every new value and
/// keeps only `d = g scale` (in `g`), a sum that is 0 exactly when every
/// value of the estimate (and of the normalisation) is finite (`x - x` is
/// NaN for an infinite `x`), the same sum of the new weights, and the
/// largest new `|w|`; the second, if all pass, writes. Branch-free, so
/// both vectorise.
#[inline(always)]
fn apply_checked<T: Real>(
    params: &mut [T],
    g: &mut [T],
    scale: T,
    eta: T,
    moment: Option<Moment<'_, T>>,
) -> Result<(), UpdateRejection> {
    let limit = weight_limit::<T>();
    // Per lane: `spread` sums the estimate's values, `w_spread` the new
    // weights' (`x - x`), `largest` holds the largest new `|w|`. Lanes, so
    // that the sums vectorise (their order does not matter: each is 0 or
    // NaN).
    let mut spread = [T::ZERO; LANES];
    let mut w_spread = [T::ZERO; LANES];
    let mut largest = [T::ZERO; LANES];
    match moment {
        None => {
            for (w, g) in params.chunks(LANES).zip(g.chunks_mut(LANES)) {
                for k in 0..w.len() {
                    let d = g[k] * scale;
                    g[k] = d;
                    let w1 = w[k] + eta * d;
                    spread[k] += zero_if_finite(d);
                    w_spread[k] += zero_if_finite(w1);
                    largest[k] = largest[k].max(w1.abs());
                }
            }
            verdict(&spread, &w_spread, &largest, limit)?;
            for (w, d) in params.iter_mut().zip(g.iter()) {
                *w += eta * *d;
            }
        }
        Some(Moment {
            config,
            u,
            correction,
        }) => {
            let SecondMomentConfig { beta2, eps } = config;
            for ((w, g), u) in params
                .chunks(LANES)
                .zip(g.chunks_mut(LANES))
                .zip(u.chunks(LANES))
            {
                for k in 0..w.len() {
                    let d = g[k] * scale;
                    g[k] = d;
                    let (u1, n) = normalise(u[k], d, beta2, correction, eps);
                    let w1 = w[k] + eta * n;
                    spread[k] += zero_if_finite(u1) + zero_if_finite(n);
                    w_spread[k] += zero_if_finite(w1);
                    largest[k] = largest[k].max(w1.abs());
                }
            }
            verdict(&spread, &w_spread, &largest, limit)?;
            for ((w, d), u) in params.iter_mut().zip(g.iter()).zip(u.iter_mut()) {
                let (u1, n) = normalise(*u, *d, beta2, correction, eps);
                *u = u1;
                *w += eta * n;
            }
        }
    }
    Ok(())
}

/// `x - x`: 0 for a finite `x`, NaN for an infinite or NaN one (no
/// branch, so a loop of these vectorises).
#[inline(always)]
#[allow(clippy::eq_op)]
fn zero_if_finite<T: Real>(x: T) -> T {
    x - x
}

/// Lanes of the checking pass's sums.
const LANES: usize = 8;

/// The checking pass's verdict from its lanes.
fn verdict<T: Real>(
    spread: &[T; LANES],
    w_spread: &[T; LANES],
    largest: &[T; LANES],
    limit: f64,
) -> Result<(), UpdateRejection> {
    let finite = spread.iter().all(|s| *s == T::ZERO);
    let fits =
        w_spread.iter().all(|s| *s == T::ZERO) && largest.iter().all(|l| l.to_f64() <= limit);
    check(finite, fits)
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

/// FLOPs of [`apply`] on `p` weights: the checking pass `p` times 8
/// (scale, multiply by `eta`, add; the finiteness sums: 2 subtractions, 2
/// additions; the largest magnitude: 1) or 19 with the normalisation
/// (scale; `u`: 5; `n`: divide, square root, add, divide; multiply by
/// `eta`, add; the sums: 3 subtractions and 3 additions; the largest: 1),
/// and the writing pass `p` times 2 or 11.
pub(crate) fn apply_flops(p: u64, normalised: bool) -> u64 {
    p * if normalised { 19 + 11 } else { 8 + 2 }
}
