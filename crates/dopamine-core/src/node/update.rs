//! Applying Dopamine-3's estimate to the weights: the optional per-synapse second-moment normalisation and the checks that keep the weights finite.

use crate::node::dispatch::{dispatch, sqrt_in_place};
use crate::real::Real;
use crate::rules::second_moment::SecondMomentConfig;

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
            let (mut u1, mut n) = ([T::ZERO; CHUNK], [T::ZERO; CHUNK]);
            for ((w, g), u) in params
                .chunks(CHUNK)
                .zip(g.chunks_mut(CHUNK))
                .zip(u.chunks(CHUNK))
            {
                let len = w.len();
                for d in g.iter_mut() {
                    *d *= scale;
                }
                normalise_chunk(u, g, beta2, correction, eps, &mut u1, &mut n);
                // Whole lanes first (a fixed-size loop that vectorises), then the rest.
                let whole = len / LANES * LANES;
                for (k0, w) in (0..whole).step_by(LANES).zip(w.chunks_exact(LANES)) {
                    for l in 0..LANES {
                        let w1 = w[l] + eta * n[k0 + l];
                        spread[l] += zero_if_finite(u1[k0 + l]) + zero_if_finite(n[k0 + l]);
                        w_spread[l] += zero_if_finite(w1);
                        largest[l] = largest[l].max(w1.abs());
                    }
                }
                for k in whole..len {
                    let w1 = w[k] + eta * n[k];
                    spread[0] += zero_if_finite(u1[k]) + zero_if_finite(n[k]);
                    w_spread[0] += zero_if_finite(w1);
                    largest[0] = largest[0].max(w1.abs());
                }
            }
            verdict(&spread, &w_spread, &largest, limit)?;
            for ((w, d), u) in params
                .chunks_mut(CHUNK)
                .zip(g.chunks(CHUNK))
                .zip(u.chunks_mut(CHUNK))
            {
                normalise_chunk(u, d, beta2, correction, eps, &mut u1, &mut n);
                let len = w.len();
                u.copy_from_slice(&u1[..len]);
                for (w, n) in w.iter_mut().zip(&n[..len]) {
                    *w += eta * *n;
                }
            }
        }
    }
    Ok(())
}

/// Weights per chunk of the normalised update's passes.
const CHUNK: usize = 64;

/// The second moment's `normalise` of a chunk (at most [`CHUNK`] values): `u1 = beta2 u +
/// (1 - beta2) d²` and `n = d / (sqrt(u1 / correction) + eps)`, the same
/// operations in the same order, with the square roots taken eight at a
/// time ([`sqrt_in_place`]).
#[inline(always)]
fn normalise_chunk<T: Real>(
    u: &[T],
    d: &[T],
    beta2: T,
    correction: T,
    eps: T,
    u1: &mut [T; CHUNK],
    n: &mut [T; CHUNK],
) {
    let len = u.len();
    for k in 0..len {
        u1[k] = beta2 * u[k] + (T::ONE - beta2) * (d[k] * d[k]);
        n[k] = u1[k] / correction;
    }
    sqrt_in_place(&mut n[..len]);
    for k in 0..len {
        n[k] = d[k] / (n[k] + eps);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::second_moment::normalise;

    /// The chunked, vectorised update gives the bits of the per-weight
    /// formula, for lengths that leave every remainder.
    fn matches_the_scalar_formula<T: Real>() {
        for len in [1usize, 7, 8, 63, 64, 65, 131] {
            let value = |i: usize, a: f64| T::from_f64(((i as f64 + a) * 0.37).sin());
            let w0: [T; 131] = core::array::from_fn(|i| value(i, 0.0));
            let g0: [T; 131] = core::array::from_fn(|i| value(i, 1.0) * T::from_f64(1e-3));
            let u0: [T; 131] = core::array::from_fn(|i| value(i, 2.0).abs() * T::from_f64(1e-6));
            let config = SecondMomentConfig::default();
            let (scale, eta, correction) = (T::from_f64(3.0), T::from_f64(0.01), T::from_f64(0.3));
            let (mut w, mut g, mut u) = (w0, g0, u0);
            let moment = Moment {
                config,
                u: &mut u[..len],
                correction,
            };
            apply(&mut w[..len], &mut g[..len], scale, eta, Some(moment)).unwrap();
            for i in 0..len {
                let (u1, n) = normalise(u0[i], g0[i] * scale, config.beta2, correction, config.eps);
                assert_eq!(u[i].to_f64().to_bits(), u1.to_f64().to_bits(), "{len} {i}");
                assert_eq!(
                    w[i].to_f64().to_bits(),
                    (w0[i] + eta * n).to_f64().to_bits(),
                    "{len} {i}"
                );
            }
        }
    }

    #[test]
    fn chunked_update_matches_the_scalar_formula() {
        matches_the_scalar_formula::<f32>();
        matches_the_scalar_formula::<f64>();
    }
}
