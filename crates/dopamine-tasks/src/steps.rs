//! Crate-private helper: turning durations into whole integration steps.

use crate::error::{Result, TaskError};

/// Relative tolerance for "is `value` a whole multiple of `dt`": loose enough
/// for decimal steps like 0.1 that are not exact in binary, tight enough to
/// reject any real mismatch.
const MULTIPLE_TOLERANCE: f64 = 1e-9;

/// Checks that `dt` is finite and positive.
pub(crate) fn check_step(dt: f64) -> Result<()> {
    if dt.is_finite() && dt > 0.0 {
        Ok(())
    } else {
        Err(TaskError::invalid(
            "dt",
            format!("must be finite and > 0, got {dt}"),
        ))
    }
}

/// `value / dt` as a whole number of steps, or an error naming `name` if
/// `value` is negative, not finite, not a whole multiple of `dt`, or more
/// than `max_steps` steps.
pub(crate) fn whole_steps(name: &'static str, value: f64, dt: f64, max_steps: u64) -> Result<u64> {
    if !(value.is_finite() && value >= 0.0) {
        return Err(TaskError::invalid(
            name,
            format!("must be finite and >= 0, got {value}"),
        ));
    }
    let ratio = value / dt;
    let steps = ratio.round();
    if (ratio - steps).abs() > MULTIPLE_TOLERANCE * steps.max(1.0) {
        return Err(TaskError::invalid(
            name,
            format!("{value} is not a whole multiple of dt = {dt}"),
        ));
    }
    if steps > max_steps as f64 {
        return Err(TaskError::invalid(
            name,
            format!("{value} is {steps} steps of dt = {dt}; at most {max_steps} allowed"),
        ));
    }
    Ok(steps as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_steps_accepts_decimal_multiples_and_rejects_others() {
        assert_eq!(whole_steps("tau", 17.0, 0.1, u64::MAX).unwrap(), 170);
        assert_eq!(whole_steps("tau", 0.3, 0.1, u64::MAX).unwrap(), 3);
        assert_eq!(whole_steps("t", 0.0, 0.1, u64::MAX).unwrap(), 0);
        assert!(whole_steps("tau", 17.05, 0.1, u64::MAX).is_err());
        assert!(whole_steps("tau", -1.0, 0.1, u64::MAX).is_err());
        assert!(whole_steps("tau", f64::NAN, 0.1, u64::MAX).is_err());
        assert!(whole_steps("tau", 1e6, 0.1, 1000).is_err());
        assert!(check_step(0.0).is_err());
        assert!(check_step(-0.1).is_err());
        assert!(check_step(f64::INFINITY).is_err());
    }
}
