//! Forecasting metrics: MSE, RMSE, NRMSE and valid prediction time.
//!
//! All metrics take `(prediction, target)` series of equal shape and compare
//! them row by row. Definitions, with `T` rows, `D` dimensions, prediction
//! `p` and target `y`:
//!
//! - `mse = (1 / (T D)) Σ_t Σ_d (p[t][d] - y[t][d])²` (all values pooled);
//! - `rmse = sqrt(mse)`;
//! - `nrmse_d = sqrt((1/T) Σ_t (p[t][d] - y[t][d])²) / σ_d`, where `σ_d` is
//!   the **population** standard deviation (divide by `T`) of the target's
//!   dimension `d` over the same `T` rows;
//! - `nrmse = (1/D) Σ_d nrmse_d`, the unweighted mean over dimensions.
//!
//! So predicting the target's own mean scores NRMSE 1, and a perfect
//! prediction scores 0; NRMSE does not change when both series are scaled by
//! the same positive constant.

use crate::error::{Result, TaskError};
use crate::series::Series;

fn check_shapes(prediction: &Series, target: &Series) -> Result<()> {
    if prediction.dim() != target.dim() {
        return Err(TaskError::DimensionMismatch {
            expected: target.dim(),
            found: prediction.dim(),
        });
    }
    if prediction.len() != target.len() {
        return Err(TaskError::LengthMismatch {
            expected: target.len(),
            found: prediction.len(),
        });
    }
    if target.is_empty() {
        return Err(TaskError::TooShort {
            needed: 1,
            found: 0,
        });
    }
    Ok(())
}

/// Mean squared error of each dimension.
///
/// # Errors
/// [`TaskError::DimensionMismatch`], [`TaskError::LengthMismatch`], or
/// [`TaskError::TooShort`] for empty series.
pub fn mse_per_dim(prediction: &Series, target: &Series) -> Result<Vec<f64>> {
    check_shapes(prediction, target)?;
    let mut sum = vec![0.0; target.dim()];
    for (p, y) in prediction.rows().zip(target.rows()) {
        for ((s, a), b) in sum.iter_mut().zip(p).zip(y) {
            *s += (a - b) * (a - b);
        }
    }
    let n = target.len() as f64;
    Ok(sum.into_iter().map(|s| s / n).collect())
}

/// Mean squared error over all rows and dimensions.
///
/// # Errors
/// As for [`mse_per_dim`].
pub fn mse(prediction: &Series, target: &Series) -> Result<f64> {
    let per_dim = mse_per_dim(prediction, target)?;
    Ok(per_dim.iter().sum::<f64>() / per_dim.len() as f64)
}

/// Root mean squared error over all rows and dimensions: `sqrt(mse)`.
///
/// # Errors
/// As for [`mse_per_dim`].
pub fn rmse(prediction: &Series, target: &Series) -> Result<f64> {
    mse(prediction, target).map(f64::sqrt)
}

/// NRMSE of each dimension: its RMSE divided by the population standard
/// deviation of the target's dimension (see the module docs).
///
/// # Errors
/// As for [`mse_per_dim`], plus [`TaskError::ZeroSpread`] if a target
/// dimension is constant.
pub fn nrmse_per_dim(prediction: &Series, target: &Series) -> Result<Vec<f64>> {
    let mse = mse_per_dim(prediction, target)?;
    let std = target.std_per_dim()?;
    mse.iter()
        .zip(&std)
        .enumerate()
        .map(|(dim, (m, s))| {
            if *s > 0.0 {
                Ok(m.sqrt() / s)
            } else {
                Err(TaskError::ZeroSpread { dim })
            }
        })
        .collect()
}

/// NRMSE averaged (unweighted) over dimensions; see the module docs.
///
/// # Errors
/// As for [`nrmse_per_dim`].
pub fn nrmse(prediction: &Series, target: &Series) -> Result<f64> {
    let per_dim = nrmse_per_dim(prediction, target)?;
    Ok(per_dim.iter().sum::<f64>() / per_dim.len() as f64)
}

/// NRMSE with a given scale per dimension instead of the target's own
/// spread: `(1/D) Σ_d sqrt(mse_d) / scale[d]`. For errors sampled at a few
/// points (free-running forecasts from several origins) whose spread is
/// that of a whole test part ([`Series::std_per_dim`] of it), not of the
/// sampled targets.
///
/// # Errors
/// As for [`mse_per_dim`]; [`TaskError::DimensionMismatch`] if
/// `scale.len() != target.dim()`; [`TaskError::ZeroSpread`] for a scale
/// entry that is not positive.
pub fn nrmse_scaled(prediction: &Series, target: &Series, scale: &[f64]) -> Result<f64> {
    let mse = mse_per_dim(prediction, target)?;
    if scale.len() != mse.len() {
        return Err(TaskError::DimensionMismatch {
            expected: mse.len(),
            found: scale.len(),
        });
    }
    let mut sum = 0.0;
    for (dim, (m, s)) in mse.iter().zip(scale).enumerate() {
        if s.is_nan() || *s <= 0.0 {
            return Err(TaskError::ZeroSpread { dim });
        }
        sum += m.sqrt() / s;
    }
    Ok(sum / mse.len() as f64)
}

/// Valid prediction time of a free-running forecast, in steps.
///
/// The normalised error at step `t` is
/// `e(t) = sqrt((1/D) Σ_d ((p[t][d] - y[t][d]) / scale[d])²)`, and the result
/// is the first `t` with `e(t) > threshold` — equivalently, the number of
/// leading steps whose error stays within the threshold. If no step exceeds
/// it, the result is `target.len()`. Multiply by the sampling step for time
/// units (or by the largest Lyapunov exponent for Lyapunov times).
///
/// `scale` is usually the training data's standard deviation per dimension
/// ([`Series::std_per_dim`]); a short forecast window's own spread is too
/// noisy to normalise by. A common threshold is 0.4 (some authors use 0.5
/// or 1.0); state it with the result.
///
/// # Errors
/// As for [`mse_per_dim`]; [`TaskError::DimensionMismatch`] if
/// `scale.len() != target.dim()`; [`TaskError::InvalidParameter`] for a
/// non-positive or non-finite scale entry or threshold.
pub fn valid_prediction_time(
    prediction: &Series,
    target: &Series,
    scale: &[f64],
    threshold: f64,
) -> Result<usize> {
    check_shapes(prediction, target)?;
    if scale.len() != target.dim() {
        return Err(TaskError::DimensionMismatch {
            expected: target.dim(),
            found: scale.len(),
        });
    }
    if scale.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(TaskError::invalid(
            "scale",
            "entries must be finite and > 0",
        ));
    }
    if !(threshold.is_finite() && threshold > 0.0) {
        return Err(TaskError::invalid("threshold", "must be finite and > 0"));
    }
    let dim = target.dim() as f64;
    for (t, (p, y)) in prediction.rows().zip(target.rows()).enumerate() {
        let sq: f64 = p
            .iter()
            .zip(y)
            .zip(scale)
            .map(|((a, b), s)| ((a - b) / s).powi(2))
            .sum();
        if (sq / dim).sqrt() > threshold {
            return Ok(t);
        }
    }
    Ok(target.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_computed_values() {
        let y = Series::from_rows(&[[1.0, 0.0], [3.0, 0.0], [5.0, 4.0]]).unwrap();
        let p = Series::from_rows(&[[2.0, 0.0], [3.0, 1.0], [5.0, 4.0]]).unwrap();
        assert_eq!(mse_per_dim(&p, &y).unwrap(), vec![1.0 / 3.0, 1.0 / 3.0]);
        assert_eq!(mse(&p, &y).unwrap(), 1.0 / 3.0);
        assert!((rmse(&p, &y).unwrap() - (1.0f64 / 3.0).sqrt()).abs() < 1e-15);
        // Population std of [1, 3, 5] is sqrt(8/3); of [0, 0, 4] it is sqrt(32/9).
        let per_dim = nrmse_per_dim(&p, &y).unwrap();
        let want0 = (1.0f64 / 3.0).sqrt() / (8.0f64 / 3.0).sqrt();
        let want1 = (1.0f64 / 3.0).sqrt() / (32.0f64 / 9.0).sqrt();
        assert!((per_dim[0] - want0).abs() < 1e-15);
        assert!((per_dim[1] - want1).abs() < 1e-15);
        assert!((nrmse(&p, &y).unwrap() - (want0 + want1) / 2.0).abs() < 1e-15);
    }

    #[test]
    fn shape_and_spread_errors() {
        let a = Series::from_values(vec![1.0, 2.0]).unwrap();
        let b = Series::from_values(vec![1.0, 2.0, 3.0]).unwrap();
        let c = Series::new(2, vec![1.0, 2.0]).unwrap();
        let flat = Series::from_values(vec![2.0, 2.0]).unwrap();
        let empty = Series::new(1, vec![]).unwrap();
        assert!(matches!(mse(&a, &b), Err(TaskError::LengthMismatch { .. })));
        assert!(matches!(
            mse(&c, &a),
            Err(TaskError::DimensionMismatch { .. })
        ));
        assert!(matches!(
            mse(&empty, &empty),
            Err(TaskError::TooShort { .. })
        ));
        assert_eq!(nrmse(&a, &flat), Err(TaskError::ZeroSpread { dim: 0 }));
    }

    #[test]
    fn valid_prediction_time_counts_leading_good_steps() {
        let y = Series::from_values(vec![0.0; 6]).unwrap();
        let p = Series::from_values(vec![0.0, 0.1, 0.2, 0.5, 0.1, 0.9]).unwrap();
        assert_eq!(valid_prediction_time(&p, &y, &[1.0], 0.4).unwrap(), 3);
        // A scale of 0.1 makes the 0.1 error count as 1.0 > 0.4.
        assert_eq!(valid_prediction_time(&p, &y, &[0.1], 0.4).unwrap(), 1);
        assert_eq!(valid_prediction_time(&p, &y, &[10.0], 0.4).unwrap(), 6);
        assert!(valid_prediction_time(&p, &y, &[0.0], 0.4).is_err());
        assert!(valid_prediction_time(&p, &y, &[1.0, 1.0], 0.4).is_err());
        assert!(valid_prediction_time(&p, &y, &[1.0], f64::NAN).is_err());
    }

    /// A non-constant series of 2..40 rows and 1..4 dims, values in [-100, 100].
    fn target_series() -> impl Strategy<Value = Series> {
        (1usize..4, 2usize..40)
            .prop_flat_map(|(dim, len)| {
                proptest::collection::vec(-100.0f64..100.0, dim * len)
                    .prop_map(move |v| Series::new(dim, v).unwrap())
            })
            .prop_filter("every dimension must vary", |s| {
                s.std_per_dim().unwrap().iter().all(|&sd| sd > 1e-6)
            })
    }

    proptest! {
        #[test]
        fn nrmse_of_target_itself_is_zero(y in target_series()) {
            prop_assert_eq!(nrmse(&y, &y).unwrap(), 0.0);
        }

        #[test]
        fn nrmse_of_predicting_the_mean_is_one(y in target_series()) {
            let mean = y.mean_per_dim().unwrap();
            let p = Series::new(y.dim(), mean.repeat(y.len())).unwrap();
            let v = nrmse(&p, &y).unwrap();
            prop_assert!((v - 1.0).abs() < 1e-9, "nrmse of the mean = {}", v);
        }

        #[test]
        fn nrmse_is_scale_invariant(
            y in target_series(),
            noise_seed in proptest::collection::vec(-1.0f64..1.0, 160),
            c in 1e-3f64..1e3,
        ) {
            let p_data: Vec<f64> = y
                .as_slice()
                .iter()
                .zip(noise_seed.iter().cycle())
                .map(|(v, n)| v + 10.0 * n)
                .collect();
            let p = Series::new(y.dim(), p_data).unwrap();
            let scale = |s: &Series| {
                Series::new(s.dim(), s.as_slice().iter().map(|v| v * c).collect()).unwrap()
            };
            let base = nrmse(&p, &y).unwrap();
            let scaled = nrmse(&scale(&p), &scale(&y)).unwrap();
            prop_assert!((base - scaled).abs() <= 1e-9 * base.max(1.0),
                "base {} scaled {}", base, scaled);
        }
    }
}
