//! Learning-rate schedules: the factor that multiplies `eta` at each step.

use crate::error::Error;
use crate::real::Real;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// How the learning rate changes with the step count.
///
/// [`EtaSchedule::factor`] gives the multiplier of the base `eta` at step `t`
/// (counting from 0); the rules call it once per step.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum EtaSchedule<T> {
    /// Factor 1 at every step. The default.
    #[default]
    Constant,
    /// Cosine decay from 1 at step 0 to `final_fraction` at `total_steps`,
    /// then constant: `f + (1 - f) * (1 + cos(pi * t / total)) / 2`.
    Cosine {
        /// Step at which the decay ends (`> 0`).
        total_steps: u64,
        /// The factor reached at the end, in `[0, 1]`.
        final_fraction: T,
    },
    /// Multiply by `factor` every `every` steps: `factor^(t / every)`.
    Step {
        /// Steps between two drops (`> 0`).
        every: u64,
        /// The multiplier at each drop, in `(0, 1]`.
        factor: T,
    },
}

impl<T: Real> EtaSchedule<T> {
    /// Checks the schedule's settings.
    pub fn validate(&self) -> Result<(), Error> {
        match *self {
            EtaSchedule::Constant => Ok(()),
            EtaSchedule::Cosine {
                total_steps,
                final_fraction,
            } => {
                if total_steps == 0 {
                    return Err(Error::InvalidSetting(
                        "cosine schedule needs total_steps > 0",
                    ));
                }
                if !final_fraction.is_finite() {
                    return Err(Error::NonFiniteSetting("final_fraction"));
                }
                if final_fraction < T::ZERO || final_fraction > T::ONE {
                    return Err(Error::InvalidSetting("final_fraction must lie in [0, 1]"));
                }
                Ok(())
            }
            EtaSchedule::Step { every, factor } => {
                if every == 0 {
                    return Err(Error::InvalidSetting("step schedule needs every > 0"));
                }
                if !factor.is_finite() {
                    return Err(Error::NonFiniteSetting("factor"));
                }
                if factor <= T::ZERO || factor > T::ONE {
                    return Err(Error::InvalidSetting("step factor must lie in (0, 1]"));
                }
                Ok(())
            }
        }
    }

    /// The multiplier of the base learning rate at step `t`.
    pub fn factor(&self, t: u64) -> T {
        match *self {
            EtaSchedule::Constant => T::ONE,
            EtaSchedule::Cosine {
                total_steps,
                final_fraction,
            } => {
                let progress = (t.min(total_steps) as f64) / (total_steps as f64);
                let cos = 0.5 * (1.0 + libm::cos(core::f64::consts::PI * progress));
                let f = final_fraction.to_f64();
                T::from_f64(f + (1.0 - f) * cos)
            }
            EtaSchedule::Step { every, factor } => {
                let drops = (t / every).min(i32::MAX as u64) as i32;
                T::from_f64(libm::pow(factor.to_f64(), drops as f64))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_runs_from_one_to_final_fraction() {
        let s = EtaSchedule::Cosine {
            total_steps: 100,
            final_fraction: 0.1f64,
        };
        assert_eq!(s.factor(0), 1.0);
        assert!((s.factor(50) - 0.55).abs() < 1e-12);
        assert!((s.factor(100) - 0.1).abs() < 1e-12);
        assert!((s.factor(1000) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn step_schedule_drops_every_period() {
        let s = EtaSchedule::Step {
            every: 10,
            factor: 0.5f64,
        };
        assert_eq!(s.factor(9), 1.0);
        assert_eq!(s.factor(10), 0.5);
        assert_eq!(s.factor(25), 0.25);
    }

    #[test]
    fn invalid_schedules_are_rejected() {
        let bad = EtaSchedule::Step {
            every: 0,
            factor: 0.5f64,
        };
        assert!(bad.validate().is_err());
        let bad = EtaSchedule::Cosine {
            total_steps: 10,
            final_fraction: f64::NAN,
        };
        assert_eq!(
            bad.validate(),
            Err(Error::NonFiniteSetting("final_fraction"))
        );
    }
}
