//! Per-dimension affine normalisation (z-score, min-max), fitted on training data.

use crate::error::{Result, TaskError};
use crate::series::Series;

/// How to normalise each dimension.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NormalizationMethod {
    /// `(x - mean) / std` with the training mean and population std.
    ZScore,
    /// Maps the training minimum to `low` and maximum to `high` (e.g.
    /// `[-1, 1]` for tanh units). Later data may fall outside the range.
    MinMax {
        /// Image of the training minimum.
        low: f64,
        /// Image of the training maximum; must be greater than `low`.
        high: f64,
    },
}

/// A fitted per-dimension affine map `y = (x - offset) / scale` and its
/// inverse `x = y * scale + offset`.
///
/// Fit it on the training part only ([`crate::Split::normalized`] does
/// that), so no statistic of the validation or test data leaks into training.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalizer {
    method: NormalizationMethod,
    offset: Vec<f64>,
    scale: Vec<f64>,
}

impl Normalizer {
    /// Fits `method` on `train`.
    ///
    /// # Errors
    /// [`TaskError::TooShort`] for an empty series, [`TaskError::ZeroSpread`]
    /// for a constant dimension, [`TaskError::InvalidParameter`] for a
    /// min-max range that is not finite with `low < high`.
    pub fn fit(train: &Series, method: NormalizationMethod) -> Result<Self> {
        let (offset, scale) = match method {
            NormalizationMethod::ZScore => (train.mean_per_dim()?, train.std_per_dim()?),
            NormalizationMethod::MinMax { low, high } => {
                if !(low.is_finite() && high.is_finite() && low < high) {
                    return Err(TaskError::invalid(
                        "low..high",
                        format!("need finite low < high, got {low}..{high}"),
                    ));
                }
                let (min, max) = train.min_max_per_dim()?;
                let scale: Vec<f64> = min
                    .iter()
                    .zip(&max)
                    .map(|(lo, hi)| (hi - lo) / (high - low))
                    .collect();
                let offset = min.iter().zip(&scale).map(|(m, s)| m - low * s).collect();
                (offset, scale)
            }
        };
        if let Some(dim) = scale.iter().position(|&s| s <= 0.0 || !s.is_normal()) {
            return Err(TaskError::ZeroSpread { dim });
        }
        Ok(Normalizer {
            method,
            offset,
            scale,
        })
    }

    /// Shorthand for `fit(train, NormalizationMethod::ZScore)`.
    ///
    /// # Errors
    /// See [`Normalizer::fit`].
    pub fn fit_z_score(train: &Series) -> Result<Self> {
        Normalizer::fit(train, NormalizationMethod::ZScore)
    }

    /// Shorthand for `fit(train, NormalizationMethod::MinMax { low, high })`.
    ///
    /// # Errors
    /// See [`Normalizer::fit`].
    pub fn fit_min_max(train: &Series, low: f64, high: f64) -> Result<Self> {
        Normalizer::fit(train, NormalizationMethod::MinMax { low, high })
    }

    /// A normaliser fitted before (its [`Normalizer::offset`] and
    /// [`Normalizer::scale`] saved with a model, say), to apply to new data.
    ///
    /// # Errors
    /// [`TaskError::DimensionMismatch`] if the two lists differ in length,
    /// [`TaskError::TooShort`] if they are empty,
    /// [`TaskError::InvalidParameter`] for an offset that is not finite, and
    /// [`TaskError::ZeroSpread`] for a scale that is not a positive normal number.
    pub fn from_parts(
        method: NormalizationMethod,
        offset: Vec<f64>,
        scale: Vec<f64>,
    ) -> Result<Self> {
        if offset.len() != scale.len() {
            return Err(TaskError::DimensionMismatch {
                expected: offset.len(),
                found: scale.len(),
            });
        }
        if offset.is_empty() {
            return Err(TaskError::TooShort {
                needed: 1,
                found: 0,
            });
        }
        if let Some(o) = offset.iter().find(|o| !o.is_finite()) {
            return Err(TaskError::invalid("offset", format!("{o} is not finite")));
        }
        if let Some(dim) = scale.iter().position(|&s| s <= 0.0 || !s.is_normal()) {
            return Err(TaskError::ZeroSpread { dim });
        }
        Ok(Normalizer {
            method,
            offset,
            scale,
        })
    }

    /// The method it was fitted with.
    pub fn method(&self) -> NormalizationMethod {
        self.method
    }

    /// Number of dimensions it was fitted on.
    pub fn dim(&self) -> usize {
        self.offset.len()
    }

    /// Per-dimension offset (the mean for z-score).
    pub fn offset(&self) -> &[f64] {
        &self.offset
    }

    /// Per-dimension scale (the population std for z-score); always > 0.
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// Normalises a series: `(x - offset) / scale` per dimension.
    ///
    /// # Errors
    /// [`TaskError::DimensionMismatch`] if `series.dim() != self.dim()`;
    /// [`TaskError::NonFinite`] if a result overflows.
    pub fn transform(&self, series: &Series) -> Result<Series> {
        self.map(series, |x, o, s| (x - o) / s)
    }

    /// Undoes [`Normalizer::transform`]: `y * scale + offset` per dimension.
    /// Use it to bring model predictions back to data units.
    ///
    /// # Errors
    /// As for [`Normalizer::transform`].
    pub fn inverse(&self, series: &Series) -> Result<Series> {
        self.map(series, |y, o, s| y * s + o)
    }

    fn map(&self, series: &Series, f: impl Fn(f64, f64, f64) -> f64) -> Result<Series> {
        if series.dim() != self.dim() {
            return Err(TaskError::DimensionMismatch {
                expected: self.dim(),
                found: series.dim(),
            });
        }
        let mut data = Vec::with_capacity(series.as_slice().len());
        for row in series.rows() {
            for ((&x, &o), &s) in row.iter().zip(&self.offset).zip(&self.scale) {
                data.push(f(x, o, s));
            }
        }
        Series::new(self.dim(), data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_dims() -> Series {
        Series::from_rows(&[[1.0, -5.0], [2.0, 0.0], [4.0, 5.0], [9.0, 100.0]]).unwrap()
    }

    #[test]
    fn z_score_has_zero_mean_unit_std_and_inverts() {
        let s = two_dims();
        let n = Normalizer::fit_z_score(&s).unwrap();
        let y = n.transform(&s).unwrap();
        for m in y.mean_per_dim().unwrap() {
            assert!(m.abs() < 1e-12);
        }
        for sd in y.std_per_dim().unwrap() {
            assert!((sd - 1.0).abs() < 1e-12);
        }
        let back = n.inverse(&y).unwrap();
        for (a, b) in back.as_slice().iter().zip(s.as_slice()) {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0));
        }
    }

    #[test]
    fn min_max_maps_to_range_and_inverts() {
        let s = two_dims();
        let n = Normalizer::fit_min_max(&s, -1.0, 1.0).unwrap();
        let y = n.transform(&s).unwrap();
        let (min, max) = y.min_max_per_dim().unwrap();
        for (lo, hi) in min.iter().zip(&max) {
            assert!((lo + 1.0).abs() < 1e-12 && (hi - 1.0).abs() < 1e-12);
        }
        let back = n.inverse(&y).unwrap();
        for (a, b) in back.as_slice().iter().zip(s.as_slice()) {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0));
        }
    }

    #[test]
    fn errors() {
        let constant = Series::from_rows(&[[1.0, 2.0], [1.0, 3.0]]).unwrap();
        assert_eq!(
            Normalizer::fit_z_score(&constant),
            Err(TaskError::ZeroSpread { dim: 0 })
        );
        assert_eq!(
            Normalizer::fit_min_max(&constant, 0.0, 1.0),
            Err(TaskError::ZeroSpread { dim: 0 })
        );
        assert!(Normalizer::fit_min_max(&two_dims(), 1.0, 1.0).is_err());
        assert!(Normalizer::fit_z_score(&Series::new(2, vec![]).unwrap()).is_err());
        let n = Normalizer::fit_z_score(&two_dims()).unwrap();
        assert_eq!(
            n.transform(&Series::from_values(vec![1.0]).unwrap()),
            Err(TaskError::DimensionMismatch {
                expected: 2,
                found: 1
            })
        );
    }

    #[test]
    fn from_parts_rebuilds_a_fitted_normalizer_and_refuses_bad_parts() {
        let n = Normalizer::fit_z_score(&two_dims()).unwrap();
        let again = Normalizer::from_parts(
            NormalizationMethod::ZScore,
            n.offset().to_vec(),
            n.scale().to_vec(),
        )
        .unwrap();
        assert_eq!(again, n);
        let z = NormalizationMethod::ZScore;
        assert!(matches!(
            Normalizer::from_parts(z, vec![0.0], vec![1.0, 2.0]),
            Err(TaskError::DimensionMismatch { .. })
        ));
        assert!(Normalizer::from_parts(z, vec![], vec![]).is_err());
        assert!(Normalizer::from_parts(z, vec![f64::NAN], vec![1.0]).is_err());
        assert_eq!(
            Normalizer::from_parts(z, vec![0.0, 1.0], vec![1.0, 0.0]),
            Err(TaskError::ZeroSpread { dim: 1 })
        );
    }
}
