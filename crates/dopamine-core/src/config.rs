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

/// The largest rank of low-rank noise. A matrix block's factors are
/// regenerated in tiles of at most `TILE_ROWS x MAX_RANK` values on the stack.
pub const MAX_RANK: usize = 8;

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

/// The shape of each probe's noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum NoiseStructure {
    /// Every parameter gets its own noise element. The default.
    #[default]
    Full,
    /// Each matrix block `W` (`m x n`) of the optimizer's [`crate::ParamLayout`]
    /// is perturbed by `A B^T / sqrt(rank)`, with `A` (`m x rank`) and `B`
    /// (`n x rank`) regenerated from the probe's key and the block's index;
    /// vector blocks get ordinary noise. A model can then evaluate a whole
    /// population of probes with one shared matrix product per layer.
    LowRank {
        /// The rank `r`, `1 <= r <= min(m, n)` of every matrix block, `<= MAX_RANK`.
        rank: usize,
    },
}

/// Whether a step evaluates the loss at the unperturbed parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum BaselinePolicy {
    /// Evaluate `L0 = L(w)` first: forward RPE needs it, and it is the
    /// loss the safety net checks after an update. The default.
    #[default]
    Evaluate,
    /// Antithetic RPE only: skip `L0`. A step then costs exactly its `2K`
    /// probe evaluations; the first probe loss after an update plays the
    /// safety net's part (non-finite: the update is undone), and the step
    /// reports `mean_k (L(w + sigma z_k) + L(w - sigma z_k)) / 2` as its loss,
    /// which is `L(w) + O(sigma^2)`.
    FromProbes,
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
    /// Full-rank (default) or low-rank noise.
    pub structure: NoiseStructure,
    /// Evaluate the baseline `L0` (default) or, with antithetic RPE, skip it.
    pub baseline: BaselinePolicy,
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
            structure: NoiseStructure::Full,
            baseline: BaselinePolicy::Evaluate,
            schedule: EtaSchedule::Constant,
            seed: 0,
        }
    }
}

impl<T: Real> PerturbConfig<T> {
    /// The preset for antithetic steps without a baseline: the defaults with
    /// `rpe: RpeMode::Antithetic` and `baseline: BaselinePolicy::FromProbes`,
    /// so a step costs exactly `2K` evaluations. Set the other fields with
    /// struct update syntax:
    ///
    /// ```
    /// use dopamine_core::{BaselinePolicy, PerturbConfig, RpeMode};
    ///
    /// let c = PerturbConfig { sigma: 1e-2, eta: 0.05, probes: 4, ..PerturbConfig::<f64>::antithetic() };
    /// assert_eq!((c.rpe, c.baseline), (RpeMode::Antithetic, BaselinePolicy::FromProbes));
    /// assert_eq!(c.forward_passes_per_step(), 8);
    /// ```
    ///
    /// Why (`docs/algorithm.md`, "The antithetic preset"): the antithetic
    /// RPE has no curvature term, so the dopamine signal is not blurred by
    /// `sigma^2 z^T H z / 2` when `sigma` is large or the loss is curved, and
    /// skipping `L0` makes a Dopamine step evaluate the same `2K` points an
    /// OpenES step with `K` pairs evaluates, which is what a comparison by
    /// evaluations needs. On a smooth loss with a small `sigma` the forward
    /// RPE is as good and, with `K > 1`, cheaper (`1 + K` evaluations). It
    /// is a preset and not [`PerturbConfig::default`], which stays forward
    /// RPE with a baseline: embedded users rely on its `1 + K` evaluations
    /// and its trajectories.
    pub fn antithetic() -> Self {
        Self {
            rpe: RpeMode::Antithetic,
            baseline: BaselinePolicy::FromProbes,
            ..Self::default()
        }
    }

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
        if self.baseline == BaselinePolicy::FromProbes && self.rpe != RpeMode::Antithetic {
            return Err(Error::InvalidSetting(
                "skipping the baseline needs antithetic RPE (forward RPE is measured against L0)",
            ));
        }
        if let NoiseStructure::LowRank { rank } = self.structure {
            if rank == 0 {
                return Err(Error::RankZero);
            }
            if rank > MAX_RANK {
                return Err(Error::RankTooLarge {
                    block: None,
                    rank,
                    max: MAX_RANK,
                });
            }
        }
        self.schedule.validate()
    }

    /// The rank of low-rank noise, `None` for full-rank noise.
    pub fn rank(&self) -> Option<usize> {
        match self.structure {
            NoiseStructure::Full => None,
            NoiseStructure::LowRank { rank } => Some(rank),
        }
    }

    /// Forward passes one step costs: the baseline (unless skipped) plus one
    /// (forward) or two (antithetic) per probe.
    pub fn forward_passes_per_step(&self) -> u64 {
        let baseline = match self.baseline {
            BaselinePolicy::Evaluate => 1,
            BaselinePolicy::FromProbes => 0,
        };
        baseline + self.sides() as u64 * self.probes as u64
    }

    /// Evaluations per probe: 1 (forward) or 2 (antithetic).
    pub fn sides(&self) -> usize {
        match self.rpe {
            RpeMode::Forward => 1,
            RpeMode::Antithetic => 2,
        }
    }
}
