//! Input/target pairs for one-step and k-step-ahead forecasting.

use crate::error::{Result, TaskError};
use crate::series::Series;

/// Aligned forecasting pairs: `targets.row(t)` is the series `horizon` steps
/// after `inputs.row(t)`. Both have `len - horizon` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastPairs {
    /// Rows `0 .. len - horizon` of the series.
    pub inputs: Series,
    /// Rows `horizon .. len` of the series.
    pub targets: Series,
    /// Steps between an input and its target (at least 1).
    pub horizon: usize,
}

/// Pairs `x[t] -> x[t + horizon]` for every `t` with both inside the series.
///
/// For a recurrent model fed one row at a time, feed `inputs` in order and
/// compare the outputs with `targets`; with `horizon = 1` this is teacher
/// forcing. Build pairs inside each part of a [`crate::Split`], so no target
/// crosses a split boundary.
///
/// # Errors
/// [`TaskError::InvalidParameter`] for `horizon == 0`;
/// [`TaskError::TooShort`] unless `series.len() > horizon`.
pub fn ahead_pairs(series: &Series, horizon: usize) -> Result<ForecastPairs> {
    if horizon == 0 {
        return Err(TaskError::invalid("horizon", "must be at least 1"));
    }
    let len = series.len();
    if len <= horizon {
        return Err(TaskError::TooShort {
            needed: horizon + 1,
            found: len,
        });
    }
    Ok(ForecastPairs {
        inputs: series.slice_rows(0, len - horizon)?,
        targets: series.slice_rows(horizon, len)?,
        horizon,
    })
}

/// `ahead_pairs(series, 1)`: the usual one-step-ahead task.
///
/// # Errors
/// [`TaskError::TooShort`] for fewer than 2 rows.
pub fn one_step_pairs(series: &Series) -> Result<ForecastPairs> {
    ahead_pairs(series, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_shifted_by_the_horizon() {
        let s = Series::from_rows(&[[0.0, 0.5], [1.0, 1.5], [2.0, 2.5], [3.0, 3.5]]).unwrap();
        let p = ahead_pairs(&s, 2).unwrap();
        assert_eq!(p.inputs.as_slice(), &[0.0, 0.5, 1.0, 1.5]);
        assert_eq!(p.targets.as_slice(), &[2.0, 2.5, 3.0, 3.5]);
        let one = one_step_pairs(&s).unwrap();
        assert_eq!(one.inputs.len(), 3);
        assert_eq!(one.targets.row(0), &[1.0, 1.5]);
        assert!(matches!(
            ahead_pairs(&s, 0),
            Err(TaskError::InvalidParameter { .. })
        ));
        assert_eq!(
            ahead_pairs(&s, 4),
            Err(TaskError::TooShort {
                needed: 5,
                found: 4
            })
        );
    }
}
