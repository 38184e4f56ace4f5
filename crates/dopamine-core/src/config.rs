//! Settings shared by every perturbation rule: how to probe, how far to step.

use crate::error::Error;
use crate::noise::NoiseKind;
use crate::real::Real;
use crate::schedule::EtaSchedule;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// The most probes a step can take. The per-probe RPEs and update
/// coefficients live in fixed arrays of this length inside the rule, which is
/// what keeps the kernel free of allocation.
pub const MAX_PROBES: usize = 32;

/// How the RPE of a probe is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum RpeMode {
    /// `delta = L(w) - L(w + sigma z)`: one extra forward pass per probe. The default.
    #[default]
    Forward,
    /// `delta = (L(w - sigma z) - L(w + sigma z)) / 2`: two forward passes per
    /// probe, second-order accurate.
    Antithetic,
}

/// Settings common to WP, Dopamine-1 and Dopamine-2.
///
/// Defaults: `sigma = 1e-3`, `eta = 1e-2`, one forward probe, Gaussian noise,
/// constant schedule, seed 0. They are starting points, not tuned values:
/// pick `sigma` and `eta` on validation data.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct PerturbConfig<T> {
    /// Perturbation scale `sigma > 0`.
    pub sigma: T,
    /// Base learning rate `eta > 0`.
    pub eta: T,
    /// Probes per step `K`, `1..=MAX_PROBES`.
    pub probes: usize,
    /// Forward or antithetic RPE.
    pub rpe: RpeMode,
    /// Distribution of the noise.
    pub noise: NoiseKind,
    /// Multiplier of `eta` over the steps.
    pub schedule: EtaSchedule<T>,
    /// Seed of every noise stream of the run.
    pub seed: u64,
}

impl<T: Real> Default for PerturbConfig<T> {
    fn default() -> Self {
        Self {
            sigma: T::from_f64(1e-3),
            eta: T::from_f64(1e-2),
            probes: 1,
            rpe: RpeMode::Forward,
            noise: NoiseKind::Gaussian,
            schedule: EtaSchedule::Constant,
            seed: 0,
        }
    }
}

impl<T: Real> PerturbConfig<T> {
    /// Checks every setting; a config that passes can run.
    pub fn validate(&self) -> Result<(), Error> {
        if !(self.sigma.is_finite() && self.sigma > T::ZERO) {
            return Err(Error::SigmaNotPositive);
        }
        if !(self.eta.is_finite() && self.eta > T::ZERO) {
            return Err(Error::EtaNotPositive);
        }
        if self.probes == 0 {
            return Err(Error::ZeroProbes);
        }
        if self.probes > MAX_PROBES {
            return Err(Error::TooManyProbes {
                requested: self.probes,
                max: MAX_PROBES,
            });
        }
        self.schedule.validate()
    }

    /// Forward passes one step costs: the baseline plus one (forward) or two
    /// (antithetic) per probe.
    pub fn forward_passes_per_step(&self) -> u64 {
        let per_probe = match self.rpe {
            RpeMode::Forward => 1,
            RpeMode::Antithetic => 2,
        };
        1 + per_probe * self.probes as u64
    }
}
