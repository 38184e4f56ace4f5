//! Dopamine-1 (adaptive coding of the RPE) in the registry: [`Dopamine1Settings`] and its entry.

use dopamine_core::{AdaptiveCoding, Dopamine1Rule, SecondMomentConfig};
use serde::{Deserialize, Serialize};

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::optimizer::Optimizer;
use crate::optimizers::NamedRule;
use crate::registry::entry::{BuildContext, Family, OptimizerEntry};
use crate::registry::options::{Allowed, SpecOptions};
use crate::registry::perturb::{Noise, PerturbSpec, perturbation, with_options};

/// Dopamine-1's settings, as a config file writes them: `{"kind":
/// "dopamine1", "sigma": 0.01, "eta": 0.1, "beta": 0.9}`. Fields not given
/// take their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Dopamine1Settings {
    /// Perturbation scale `sigma` (> 0; default 0.001).
    pub sigma: f64,
    /// Learning rate `eta` (> 0; default 0.01).
    pub eta: f64,
    /// Probes per step `K` (1..=32; default 1).
    pub probes: usize,
    /// Antithetic RPE, `delta = (L(w - sigma z) - L(w + sigma z)) / 2` (default false).
    pub antithetic: bool,
    /// Cosine-decay `eta` to this fraction (default none).
    pub cosine_to: Option<f64>,
    /// Steps of the cosine schedule (default: the run's step budget).
    pub total_steps: Option<u64>,
    /// Step schedule: multiply `eta` by `factor` every `every` steps.
    pub every: Option<u64>,
    /// The step schedule's factor, in (0, 1].
    pub factor: Option<f64>,
    /// The probes' noise, `gaussian` or `rademacher` (default gaussian).
    pub noise: Noise,
    /// Factor of the running averages of the RPE statistics, in [0, 1) (default 0.9).
    pub beta: f64,
    /// Floor of the surprise variance, > 0 (default 1e-12).
    pub eps: f64,
    /// Divide the running averages by `1 - beta^t` (default true).
    pub bias_correction: bool,
}

impl Default for Dopamine1Settings {
    fn default() -> Self {
        let p = PerturbSpec::default();
        let c = AdaptiveCoding::<f64>::default();
        Self {
            sigma: p.sigma,
            eta: p.eta,
            probes: p.probes,
            antithetic: p.antithetic,
            cosine_to: p.cosine_to,
            total_steps: p.total_steps,
            every: p.every,
            factor: p.factor,
            noise: p.noise,
            beta: c.beta,
            eps: c.eps,
            bias_correction: c.bias_correction,
        }
    }
}

impl Dopamine1Settings {
    /// Dopamine-1 with probing settings `p` and RPE statistics of factor
    /// `beta` (the other coding settings at their defaults).
    pub fn new(p: PerturbSpec, beta: f64) -> Self {
        Self {
            sigma: p.sigma,
            eta: p.eta,
            probes: p.probes,
            antithetic: p.antithetic,
            cosine_to: p.cosine_to,
            total_steps: p.total_steps,
            every: p.every,
            factor: p.factor,
            noise: p.noise,
            beta,
            ..Default::default()
        }
    }

    /// The probing and schedule settings.
    pub fn perturb(&self) -> PerturbSpec {
        PerturbSpec {
            sigma: self.sigma,
            eta: self.eta,
            probes: self.probes,
            antithetic: self.antithetic,
            cosine_to: self.cosine_to,
            total_steps: self.total_steps,
            every: self.every,
            factor: self.factor,
            noise: self.noise,
        }
    }

    /// The RPE statistics' settings in `T`.
    pub fn coding<T: Float>(&self) -> AdaptiveCoding<T> {
        AdaptiveCoding {
            beta: T::from_f64(self.beta),
            eps: T::from_f64(self.eps),
            bias_correction: self.bias_correction,
        }
    }
}

/// The second moment's settings in `T`.
pub(crate) fn second_moment<T: Float>(beta2: f64) -> SecondMomentConfig<T> {
    SecondMomentConfig {
        beta2: T::from_f64(beta2),
        ..Default::default()
    }
}

/// Describes the coding settings that are not the defaults.
pub(crate) fn describe_coding(eps: f64, bias_correction: bool) -> String {
    let mut d = String::new();
    if eps != AdaptiveCoding::<f64>::default().eps {
        d.push_str(&format!(" eps={eps}"));
    }
    if !bias_correction {
        d.push_str(" no-bias-correction");
    }
    d
}

impl<T: Float, U> NamedRule for Dopamine1Rule<T, U> {
    const NAME: &'static str = Dopamine1Settings::NAME;
}

impl OptimizerEntry for Dopamine1Settings {
    const NAME: &'static str = "Dopamine-1";
    const KIND: &'static str = "dopamine1";
    const FAMILY: Family = Family::Perturbation;
    const ABOUT: &'static str =
        "weight perturbation whose learning rate is set by the adaptive coding of the reward prediction error";
    const RENAMED: &'static [(&'static str, &'static str)] = super::perturb::RENAMED;

    fn describe(&self) -> String {
        format!(
            "{} beta={}{}",
            self.perturb().describe("K"),
            self.beta,
            describe_coding(self.eps, self.bias_correction)
        )
    }
    fn rate(&self) -> f64 {
        self.eta
    }
    fn set_rate(&mut self, rate: f64) {
        self.eta = rate;
    }
    fn sigma(&self) -> Option<f64> {
        Some(self.sigma)
    }
    fn set_sigma(&mut self, sigma: f64) {
        self.sigma = sigma;
    }
    fn perturbation(&self) -> Option<PerturbSpec> {
        Some(self.perturb())
    }
    fn passes_per_step(&self, options: &SpecOptions) -> u64 {
        self.perturb().passes(options.baseline_from_probes)
    }
    fn check_options(&self, options: &SpecOptions) -> Result<(), SpecError> {
        self.perturb().check_schedule()?;
        options.check_allowed(
            Self::NAME,
            Allowed {
                rank: true,
                baseline_from_probes: self.antithetic,
                second_moment: true,
                beta1: false,
            },
        )
    }
    fn build<T: Float>(&self, ctx: &BuildContext<'_>) -> Result<Box<dyn Optimizer<T>>, TrainError> {
        let config = with_options(self.perturb().config(ctx.seed, ctx.total_steps), ctx);
        let rule = Dopamine1Rule::new(self.coding());
        match ctx.options.second_moment {
            Some(b2) => perturbation(
                config,
                rule.with_second_moment(second_moment(b2), vec![T::ZERO; ctx.dim]),
                ctx,
            ),
            None => perturbation(config, rule, ctx),
        }
    }
}
