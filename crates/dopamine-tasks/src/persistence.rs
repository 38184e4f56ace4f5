//! The persistence baseline: predict `x[t + k]` as `x[t]`.
//!
//! Every forecasting table should show it beside the models: a model that
//! does not beat persistence has learned nothing useful.

use crate::error::Result;
use crate::metrics::nrmse;
use crate::pairs::{ForecastPairs, ahead_pairs};
use crate::series::Series;

/// The persistence forecast `horizon` steps ahead over `series`: the
/// returned pairs' `inputs` *are* the predictions of their `targets`.
///
/// # Errors
/// Those of [`ahead_pairs`].
pub fn persistence_forecast(series: &Series, horizon: usize) -> Result<ForecastPairs> {
    ahead_pairs(series, horizon)
}

/// NRMSE ([`crate::metrics`] definition) of persistence `horizon` steps
/// ahead over `series` (e.g. one part of a split).
///
/// # Errors
/// Those of [`ahead_pairs`] and [`nrmse`].
pub fn persistence_nrmse(series: &Series, horizon: usize) -> Result<f64> {
    let pairs = persistence_forecast(series, horizon)?;
    nrmse(&pairs.inputs, &pairs.targets)
}

/// The smallest horizon in `1..=max_horizon` whose persistence NRMSE
/// exceeds `threshold`, with that NRMSE; `None` if there is none. Use it to
/// pick a horizon where persistence is poor (the experiments want one with
/// NRMSE > 0.5).
///
/// # Errors
/// Those of [`persistence_nrmse`] (a horizon too long for the series stops
/// the search with [`crate::TaskError::TooShort`]).
pub fn first_horizon_where_persistence_exceeds(
    series: &Series,
    threshold: f64,
    max_horizon: usize,
) -> Result<Option<(usize, f64)>> {
    for k in 1..=max_horizon {
        let e = persistence_nrmse(series, k)?;
        if e > threshold {
            return Ok(Some((k, e)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persistence_on_a_ramp() {
        // x[t] = t: the error is exactly k everywhere, and the target
        // t = k..n-1 has population std sqrt(((n-k)^2 - 1) / 12).
        let n = 20usize;
        let s = Series::from_values((0..n).map(|i| i as f64).collect()).unwrap();
        for k in 1..5 {
            let m = (n - k) as f64;
            let want = k as f64 / ((m * m - 1.0) / 12.0).sqrt();
            assert!((persistence_nrmse(&s, k).unwrap() - want).abs() < 1e-12);
        }
        let (k, e) = first_horizon_where_persistence_exceeds(&s, 0.5, 10)
            .unwrap()
            .unwrap();
        assert_eq!(k, 3);
        assert!(e > 0.5);
        assert_eq!(
            first_horizon_where_persistence_exceeds(&s, 100.0, 5).unwrap(),
            None
        );
    }
}
