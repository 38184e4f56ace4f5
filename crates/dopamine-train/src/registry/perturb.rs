//! The settings the perturbation rules share ([`PerturbSpec`]: probing, noise, schedule) and how they become the kernel's `PerturbConfig` and a running `PerturbationOptimizer`.

use dopamine_core::{
    BaselinePolicy, EtaSchedule, NoiseKind, NoiseStructure, ParamLayout, PerturbConfig,
    PerturbationOptimizer, RpeMode,
};
use serde::{Deserialize, Serialize};

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::registry::entry::BuildContext;
use crate::registry::sink::{BuiltRule, Sink};

/// The noise of the probes, as a config names it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Noise {
    /// Gaussian `N(0, 1)` values.
    #[default]
    Gaussian,
    /// `+-1` with equal probability.
    Rademacher,
}

impl From<Noise> for NoiseKind {
    fn from(n: Noise) -> Self {
        match n {
            Noise::Gaussian => NoiseKind::Gaussian,
            Noise::Rademacher => NoiseKind::Rademacher,
        }
    }
}

/// The probing, noise and learning-rate schedule of a perturbation rule
/// (WP, Dopamine-1, Dopamine-2), the fields every one of their settings
/// structs has under the same names.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PerturbSpec {
    /// Perturbation scale.
    pub sigma: f64,
    /// Base learning rate.
    pub eta: f64,
    /// Probes per step.
    pub probes: usize,
    /// Antithetic RPE (two evaluations per probe).
    pub antithetic: bool,
    /// Cosine-decay `eta` to this fraction (none: no cosine schedule).
    pub cosine_to: Option<f64>,
    /// Steps of the cosine schedule (none: the run's step budget).
    pub total_steps: Option<u64>,
    /// Step schedule: multiply `eta` by `factor` every `every` steps.
    pub every: Option<u64>,
    /// The step schedule's factor.
    pub factor: Option<f64>,
    /// The probes' noise.
    pub noise: Noise,
}

impl Default for PerturbSpec {
    fn default() -> Self {
        Self {
            sigma: 1e-3,
            eta: 1e-2,
            probes: 1,
            antithetic: false,
            cosine_to: None,
            total_steps: None,
            every: None,
            factor: None,
            noise: Noise::Gaussian,
        }
    }
}

impl PerturbSpec {
    /// The kernel's settings for a run of `total_steps` steps seeded with
    /// `seed` (validated by the kernel when the optimizer is built).
    pub fn config<T: Float>(&self, seed: u64, total_steps: u64) -> PerturbConfig<T> {
        PerturbConfig {
            sigma: T::from_f64(self.sigma),
            eta: T::from_f64(self.eta),
            probes: self.probes,
            rpe: if self.antithetic {
                RpeMode::Antithetic
            } else {
                RpeMode::Forward
            },
            noise: self.noise.into(),
            schedule: self.schedule(total_steps),
            seed,
            ..Default::default()
        }
    }

    /// The learning-rate schedule over a run of `total_steps` steps.
    pub fn schedule<T: Float>(&self, total_steps: u64) -> EtaSchedule<T> {
        match (self.cosine_to, self.every, self.factor) {
            (Some(f), _, _) => EtaSchedule::Cosine {
                total_steps: self.total_steps.unwrap_or(total_steps.max(1)),
                final_fraction: T::from_f64(f),
            },
            (None, Some(every), Some(factor)) => EtaSchedule::Step {
                every,
                factor: T::from_f64(factor),
            },
            _ => EtaSchedule::Constant,
        }
    }

    /// Refuses schedule settings that do not go together, naming the field.
    pub fn check_schedule(&self) -> Result<(), SpecError> {
        if self.total_steps.is_some() && self.cosine_to.is_none() {
            return Err(SpecError::new(
                "total_steps",
                "applies only to a cosine schedule (`cosine_to`)",
            ));
        }
        if self.cosine_to.is_some() && (self.every.is_some() || self.factor.is_some()) {
            return Err(SpecError::new(
                "every",
                "a step schedule (`every`, `factor`) and a cosine schedule (`cosine_to`) exclude each other",
            ));
        }
        match (self.every, self.factor) {
            (Some(_), None) => Err(SpecError::new("factor", "a step schedule needs `factor`")),
            (None, Some(_)) => Err(SpecError::new("every", "a step schedule needs `every`")),
            _ => Ok(()),
        }
    }

    /// The settings in a few words, for reports: `sigma=.. eta=.. K=..`,
    /// then whatever is not the default.
    pub fn describe(&self, probes_name: &str) -> String {
        let mut d = format!(
            "sigma={} eta={} {probes_name}={}",
            self.sigma, self.eta, self.probes
        );
        if self.antithetic {
            d.push_str(" antithetic");
        }
        if let Some(f) = self.cosine_to {
            d.push_str(&format!(" cosine->{f}"));
        }
        if let Some(t) = self.total_steps {
            d.push_str(&format!(" over {t} steps"));
        }
        if let (Some(e), Some(f)) = (self.every, self.factor) {
            d.push_str(&format!(" x{f} every {e}"));
        }
        if self.noise == Noise::Rademacher {
            d.push_str(" rademacher");
        }
        d
    }

    /// Forward passes of one step: the baseline (unless skipped) and one
    /// (forward) or two (antithetic) per probe.
    pub fn passes(&self, baseline_from_probes: bool) -> u64 {
        let per_probe = if self.antithetic { 2 } else { 1 };
        u64::from(!(self.antithetic && baseline_from_probes)) + self.probes as u64 * per_probe
    }
}

/// `config` with the structure and baseline options of `ctx` applied.
pub fn with_options<T: Float>(
    mut config: PerturbConfig<T>,
    ctx: &BuildContext<'_>,
) -> PerturbConfig<T> {
    if let Some(rank) = ctx.options.rank {
        config.structure = NoiseStructure::LowRank { rank };
    }
    if ctx.options.baseline_from_probes {
        config.baseline = BaselinePolicy::FromProbes;
    }
    config
}

/// The kernel's perturbation optimizer with `rule`, on the objective's
/// layout when the options ask for low-rank probes, handed to `sink`.
pub fn perturbation<T, R, S>(
    config: PerturbConfig<T>,
    rule: R,
    ctx: &BuildContext<'_>,
    sink: S,
) -> Result<S::Output, TrainError>
where
    T: Float,
    R: BuiltRule<T>,
    S: Sink<T>,
{
    let layout: Option<ParamLayout> = match ctx.options.rank {
        Some(_) => Some(*ctx.layout.ok_or_else(|| {
            SpecError::new(
                "rank",
                "low-rank probes need the objective's parameter layout",
            )
        })?),
        None => None,
    };
    Ok(sink.perturbation(match layout {
        Some(l) => PerturbationOptimizer::with_layout(config, rule, l)?,
        None => PerturbationOptimizer::new(config, rule, ctx.dim)?,
    }))
}

/// The perturbation rules' settings renamed since 0.2.0: the Python
/// keywords that now take the config's names.
pub const RENAMED: &[(&str, &str)] = &[
    ("rpe", "antithetic"),
    ("baseline", "baseline_from_probes"),
    ("final_fraction", "cosine_to"),
    ("schedule", "cosine_to` or `every` and `factor"),
];
