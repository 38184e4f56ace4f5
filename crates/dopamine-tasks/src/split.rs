//! Time-ordered train / validation / test splits.

use crate::error::{Result, TaskError};
use crate::normalize::{NormalizationMethod, Normalizer};
use crate::series::Series;

/// Three consecutive, non-overlapping parts of a series, in time order:
/// `train` first, then `validation`, then `test`. No shuffling: a forecaster
/// must never see the future during training.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The earliest rows.
    pub train: Series,
    /// The rows right after `train`.
    pub validation: Series,
    /// The rows right after `validation`.
    pub test: Series,
}

/// Splits `series` into its first `train` rows, the next `validation` rows
/// and the next `test` rows. Rows after those are dropped.
///
/// # Errors
/// [`TaskError::InvalidParameter`] if the counts add up to more than `len()`.
pub fn split_by_counts(
    series: &Series,
    train: usize,
    validation: usize,
    test: usize,
) -> Result<Split> {
    let total = train
        .checked_add(validation)
        .and_then(|s| s.checked_add(test));
    match total {
        Some(t) if t <= series.len() => {}
        _ => {
            return Err(TaskError::invalid(
                "train + validation + test",
                format!(
                    "{train} + {validation} + {test} exceeds the series length {}",
                    series.len()
                ),
            ));
        }
    }
    Ok(Split {
        train: series.slice_rows(0, train)?,
        validation: series.slice_rows(train, train + validation)?,
        test: series.slice_rows(train + validation, train + validation + test)?,
    })
}

/// Splits `series` by fractions: the first `floor(train * len)` rows train,
/// the next `floor(validation * len)` rows validate, and **all** remaining
/// rows test.
///
/// # Errors
/// [`TaskError::InvalidParameter`] unless both fractions are finite, in
/// `[0, 1]`, and sum to at most 1.
pub fn split_by_fractions(series: &Series, train: f64, validation: f64) -> Result<Split> {
    for (name, f) in [("train", train), ("validation", validation)] {
        if !(0.0..=1.0).contains(&f) {
            return Err(TaskError::invalid(
                name,
                format!("fraction {f} not in [0, 1]"),
            ));
        }
    }
    if train + validation > 1.0 {
        return Err(TaskError::invalid(
            "train + validation",
            format!("fractions sum to {} > 1", train + validation),
        ));
    }
    let len = series.len();
    let n_train = ((train * len as f64).floor() as usize).min(len);
    let n_val = ((validation * len as f64).floor() as usize).min(len - n_train);
    split_by_counts(series, n_train, n_val, len - n_train - n_val)
}

impl Split {
    /// Fits a normaliser on `train` only and applies it to all three parts.
    /// Returns the normalised split and the normaliser (for the inverse).
    ///
    /// # Errors
    /// Those of [`Normalizer::fit`] (empty train, constant column).
    pub fn normalized(&self, method: NormalizationMethod) -> Result<(Split, Normalizer)> {
        let normalizer = Normalizer::fit(&self.train, method)?;
        let split = Split {
            train: normalizer.transform(&self.train)?,
            validation: normalizer.transform(&self.validation)?,
            test: normalizer.transform(&self.test)?,
        };
        Ok((split, normalizer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(n: usize) -> Series {
        Series::from_values((0..n).map(|i| i as f64).collect()).unwrap()
    }

    #[test]
    fn counts_keep_time_order() {
        let s = split_by_counts(&ramp(10), 5, 2, 2).unwrap();
        assert_eq!(s.train.as_slice(), &[0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.validation.as_slice(), &[5.0, 6.0]);
        assert_eq!(s.test.as_slice(), &[7.0, 8.0]);
        assert!(split_by_counts(&ramp(10), 5, 3, 3).is_err());
        assert!(split_by_counts(&ramp(10), usize::MAX, 1, 0).is_err());
    }

    #[test]
    fn fractions_give_the_rest_to_test() {
        let s = split_by_fractions(&ramp(10), 0.6, 0.25).unwrap();
        assert_eq!(s.train.len(), 6);
        assert_eq!(s.validation.len(), 2);
        assert_eq!(s.test.len(), 2);
        assert_eq!(s.test.as_slice(), &[8.0, 9.0]);
        assert!(split_by_fractions(&ramp(10), 0.8, 0.3).is_err());
        assert!(split_by_fractions(&ramp(10), f64::NAN, 0.3).is_err());
        assert!(split_by_fractions(&ramp(10), -0.1, 0.3).is_err());
    }
}
