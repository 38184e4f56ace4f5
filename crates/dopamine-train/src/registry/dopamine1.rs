//! Dopamine-1 (adaptive coding of the RPE) in the registry: [`Dopamine1Settings`] and its entry.

use dopamine_core::{AdaptiveCoding, Dopamine1Rule, RpeStats, SecondMomentConfig};
use serde::{Deserialize, Serialize};

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::optimizers::NamedRule;
use crate::registry::entry::{BuildContext, Family, OptimizerEntry};
use crate::registry::options::{Allowed, SpecOptions};
use crate::registry::perturb::{Noise, PerturbSpec, perturbation, with_options};
use crate::registry::python::Python;
use crate::registry::sink::Sink;
use crate::registry::views::{StateViews, View, ViewInfo, ViewKind};

/// Dopamine-1: WP whose learning rate is set by adaptive coding of the
/// reward prediction error, `w += eta/K sum_k D_k z_k` with
/// `D_k = (delta_k - b) / sqrt(v + eps)`, `b` and `v` running averages of
/// the RPE and of its surprise.
///
/// As a config file writes its settings: `{"kind": "dopamine1", "sigma":
/// 0.01, "eta": 0.1, "beta": 0.9}`. Fields not given take their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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

/// The views of the RPE statistics both Dopamine rules keep.
pub(crate) const CODING_VIEWS: [ViewInfo; 2] = [
    ViewInfo {
        name: "expected_rpe",
        doc: "The expected RPE `b` (bias-corrected when enabled).",
        kind: ViewKind::Number,
    },
    ViewInfo {
        name: "surprise_variance",
        doc: "The surprise variance `v` (bias-corrected when enabled).",
        kind: ViewKind::Number,
    },
];

/// The value of one of [`CODING_VIEWS`].
pub(crate) fn coding_view<T: Float>(stats: &RpeStats<T>, name: &str) -> Option<View<'static, T>> {
    match name {
        "expected_rpe" => Some(View::Number(stats.expected_rpe().to_f64())),
        "surprise_variance" => Some(View::Number(stats.surprise_variance().to_f64())),
        _ => None,
    }
}

impl<T: Float, U: AsRef<[T]> + AsMut<[T]>> StateViews<T> for Dopamine1Rule<T, U> {
    const VIEWS: &'static [ViewInfo] = &CODING_VIEWS;
    fn view(&self, name: &str) -> Option<View<'_, T>> {
        coding_view(self.stats(), name)
    }
}

impl OptimizerEntry for Dopamine1Settings {
    const NAME: &'static str = "Dopamine-1";
    const KIND: &'static str = "dopamine1";
    const FAMILY: Family = Family::Perturbation;
    const RENAMED: &'static [(&'static str, &'static str)] = super::perturb::RENAMED;
    const PYTHON: Python = Python::Class("Dopamine1");
    const OPTIONS: Allowed = Allowed {
        rank: true,
        baseline_from_probes: true,
        second_moment: true,
        beta1: false,
        online_every: false,
    };

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
                online_every: false,
            },
        )
    }
    fn build_into<T: Float, S: Sink<T>>(
        &self,
        ctx: &BuildContext<'_>,
        sink: S,
    ) -> Result<S::Output, TrainError> {
        let config = with_options(self.perturb().config(ctx.seed, ctx.total_steps), ctx);
        let rule = Dopamine1Rule::new(self.coding());
        match ctx.options.second_moment {
            Some(b2) => {
                let u = sink.zeros(ctx.dim);
                let rule = rule.with_second_moment(second_moment(b2), u);
                perturbation(config, rule, ctx, sink)
            }
            None => perturbation(config, rule, ctx, sink),
        }
    }
}
