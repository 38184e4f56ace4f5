//! [`Series`]: a multi-dimensional time series stored row-major (rows = time).

use crate::error::{Result, TaskError};

/// A multi-dimensional time series: `len()` rows (time steps) of `dim()`
/// values each, stored row-major in one `Vec<f64>`.
///
/// Invariants, checked by every constructor: `dim >= 1`, the data length is a
/// multiple of `dim`, and every value is finite. A series may have zero rows;
/// operations that need data return [`TaskError::TooShort`] for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    dim: usize,
    data: Vec<f64>,
}

impl Series {
    /// Builds a series from row-major `data` with `dim` values per row.
    ///
    /// # Errors
    /// [`TaskError::InvalidParameter`] if `dim == 0` or `data.len()` is not a
    /// multiple of `dim`; [`TaskError::NonFinite`] for NaN or infinite values.
    pub fn new(dim: usize, data: Vec<f64>) -> Result<Self> {
        if dim == 0 {
            return Err(TaskError::invalid("dim", "must be at least 1"));
        }
        if data.len() % dim != 0 {
            return Err(TaskError::invalid(
                "data",
                format!("length {} is not a multiple of dim {dim}", data.len()),
            ));
        }
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(TaskError::NonFinite {
                row: i / dim,
                column: i % dim,
            });
        }
        Ok(Series { dim, data })
    }

    /// Builds a one-dimensional series from scalar values.
    ///
    /// # Errors
    /// [`TaskError::NonFinite`] for NaN or infinite values.
    pub fn from_values(values: Vec<f64>) -> Result<Self> {
        Series::new(1, values)
    }

    /// Builds a series from rows; every row must have the same length.
    ///
    /// # Errors
    /// [`TaskError::TooShort`] for no rows (the dimension would be unknown),
    /// [`TaskError::DimensionMismatch`] for rows of different lengths,
    /// plus the errors of [`Series::new`].
    pub fn from_rows<R: AsRef<[f64]>>(rows: &[R]) -> Result<Self> {
        let first = rows.first().ok_or(TaskError::TooShort {
            needed: 1,
            found: 0,
        })?;
        let dim = first.as_ref().len();
        let mut data = Vec::with_capacity(dim * rows.len());
        for row in rows {
            let row = row.as_ref();
            if row.len() != dim {
                return Err(TaskError::DimensionMismatch {
                    expected: dim,
                    found: row.len(),
                });
            }
            data.extend_from_slice(row);
        }
        Series::new(dim, data)
    }

    /// Builds a series without checking values; callers guarantee the
    /// invariants (finite values, length a multiple of `dim >= 1`).
    pub(crate) fn from_trusted(dim: usize, data: Vec<f64>) -> Self {
        debug_assert!(dim >= 1 && data.len() % dim == 0);
        debug_assert!(data.iter().all(|v| v.is_finite()));
        Series { dim, data }
    }

    /// Values per row.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of rows (time steps).
    pub fn len(&self) -> usize {
        self.data.len() / self.dim
    }

    /// `true` when the series has no rows.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The row at time `t`.
    ///
    /// # Panics
    /// If `t >= len()`, like slice indexing. Use [`Series::get_row`] to avoid it.
    pub fn row(&self, t: usize) -> &[f64] {
        &self.data[t * self.dim..(t + 1) * self.dim]
    }

    /// The row at time `t`, or `None` past the end.
    pub fn get_row(&self, t: usize) -> Option<&[f64]> {
        (t < self.len()).then(|| self.row(t))
    }

    /// Iterates over rows in time order.
    pub fn rows(&self) -> std::slice::ChunksExact<'_, f64> {
        self.data.chunks_exact(self.dim)
    }

    /// All values, row-major.
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }

    /// Gives the row-major values back.
    pub fn into_vec(self) -> Vec<f64> {
        self.data
    }

    /// A copy of dimension `d` over time.
    ///
    /// # Errors
    /// [`TaskError::InvalidParameter`] if `d >= dim()`.
    pub fn column(&self, d: usize) -> Result<Vec<f64>> {
        if d >= self.dim {
            return Err(TaskError::invalid(
                "d",
                format!("column {d} out of range for dim {}", self.dim),
            ));
        }
        Ok(self.rows().map(|r| r[d]).collect())
    }

    /// A new series holding the given columns, in the given order.
    ///
    /// # Errors
    /// [`TaskError::InvalidParameter`] for an empty list or an index `>= dim()`.
    pub fn select_columns(&self, columns: &[usize]) -> Result<Series> {
        if columns.is_empty() {
            return Err(TaskError::invalid("columns", "must name at least one"));
        }
        if let Some(&bad) = columns.iter().find(|&&c| c >= self.dim) {
            return Err(TaskError::invalid(
                "columns",
                format!("column {bad} out of range for dim {}", self.dim),
            ));
        }
        let mut data = Vec::with_capacity(columns.len() * self.len());
        for row in self.rows() {
            data.extend(columns.iter().map(|&c| row[c]));
        }
        Ok(Series::from_trusted(columns.len(), data))
    }

    /// A copy of rows `start..end`.
    ///
    /// # Errors
    /// [`TaskError::InvalidParameter`] unless `start <= end <= len()`.
    pub fn slice_rows(&self, start: usize, end: usize) -> Result<Series> {
        if start > end || end > self.len() {
            return Err(TaskError::invalid(
                "start..end",
                format!("{start}..{end} not within 0..{}", self.len()),
            ));
        }
        Ok(Series::from_trusted(
            self.dim,
            self.data[start * self.dim..end * self.dim].to_vec(),
        ))
    }

    /// Mean of each dimension over time.
    ///
    /// # Errors
    /// [`TaskError::TooShort`] for an empty series.
    pub fn mean_per_dim(&self) -> Result<Vec<f64>> {
        let n = self.len();
        if n == 0 {
            return Err(TaskError::TooShort {
                needed: 1,
                found: 0,
            });
        }
        let mut mean = vec![0.0; self.dim];
        for row in self.rows() {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        for m in &mut mean {
            *m /= n as f64;
        }
        Ok(mean)
    }

    /// Population standard deviation (divide by `n`, not `n - 1`) of each
    /// dimension over time. Two passes (mean first) for accuracy.
    ///
    /// # Errors
    /// [`TaskError::TooShort`] for an empty series.
    pub fn std_per_dim(&self) -> Result<Vec<f64>> {
        let mean = self.mean_per_dim()?;
        let mut var = vec![0.0; self.dim];
        for row in self.rows() {
            for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
                *s += (v - m) * (v - m);
            }
        }
        let n = self.len() as f64;
        Ok(var.into_iter().map(|s| (s / n).sqrt()).collect())
    }

    /// Minimum and maximum of each dimension, as `(min, max)` vectors.
    ///
    /// # Errors
    /// [`TaskError::TooShort`] for an empty series.
    pub fn min_max_per_dim(&self) -> Result<(Vec<f64>, Vec<f64>)> {
        if self.is_empty() {
            return Err(TaskError::TooShort {
                needed: 1,
                found: 0,
            });
        }
        let mut min = self.row(0).to_vec();
        let mut max = min.clone();
        for row in self.rows() {
            for d in 0..self.dim {
                min[d] = min[d].min(row[d]);
                max[d] = max[d].max(row[d]);
            }
        }
        Ok((min, max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_check_invariants() {
        assert!(matches!(
            Series::new(0, vec![]),
            Err(TaskError::InvalidParameter { name: "dim", .. })
        ));
        assert!(matches!(
            Series::new(2, vec![1.0, 2.0, 3.0]),
            Err(TaskError::InvalidParameter { name: "data", .. })
        ));
        assert_eq!(
            Series::new(2, vec![1.0, 2.0, 3.0, f64::NAN]),
            Err(TaskError::NonFinite { row: 1, column: 1 })
        );
        assert_eq!(
            Series::from_values(vec![f64::INFINITY]),
            Err(TaskError::NonFinite { row: 0, column: 0 })
        );
        assert_eq!(
            Series::from_rows(&[vec![1.0, 2.0], vec![3.0]]),
            Err(TaskError::DimensionMismatch {
                expected: 2,
                found: 1
            })
        );
        let empty: [[f64; 1]; 0] = [];
        assert!(matches!(
            Series::from_rows(&empty),
            Err(TaskError::TooShort { .. })
        ));
        let s = Series::new(3, vec![]).unwrap();
        assert!(s.is_empty());
        assert!(matches!(s.std_per_dim(), Err(TaskError::TooShort { .. })));
    }

    #[test]
    fn accessors() {
        let s = Series::from_rows(&[[1.0, 10.0], [2.0, 20.0], [3.0, 40.0]]).unwrap();
        assert_eq!(s.dim(), 2);
        assert_eq!(s.len(), 3);
        assert_eq!(s.row(1), &[2.0, 20.0]);
        assert_eq!(s.get_row(3), None);
        assert_eq!(s.column(1).unwrap(), vec![10.0, 20.0, 40.0]);
        assert!(s.column(2).is_err());
        assert_eq!(
            s.select_columns(&[1, 0]).unwrap().as_slice(),
            &[10.0, 1.0, 20.0, 2.0, 40.0, 3.0]
        );
        assert_eq!(
            s.slice_rows(1, 3).unwrap().as_slice(),
            &[2.0, 20.0, 3.0, 40.0]
        );
        assert!(s.slice_rows(2, 4).is_err());
        assert_eq!(s.mean_per_dim().unwrap(), vec![2.0, 70.0 / 3.0]);
        let std = s.std_per_dim().unwrap();
        assert!((std[0] - (2.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(
            s.min_max_per_dim().unwrap(),
            (vec![1.0, 10.0], vec![3.0, 40.0])
        );
    }
}
