//! Dopamine-2 (Dopamine-1 plus an eligibility trace) in the registry: [`Dopamine2Settings`] and its entry.

use dopamine_core::{AdaptiveCoding, Dopamine2Rule};
use serde::{Deserialize, Serialize};

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::optimizers::NamedRule;
use crate::registry::dopamine1::{CODING_VIEWS, coding_view, describe_coding, second_moment};
use crate::registry::entry::{BuildContext, Family, OptimizerEntry};
use crate::registry::options::{Allowed, SpecOptions};
use crate::registry::perturb::{Noise, PerturbSpec, perturbation, with_options};
use crate::registry::python::Python;
use crate::registry::sink::Sink;
use crate::registry::views::{StateViews, View, ViewInfo, ViewKind};

/// Dopamine-2: Dopamine-1's coded signal gated into a per-synapse
/// eligibility trace, `e = lambda e + (1/K) sum_k D_k z_k`,
/// `w += eta (1 - lambda) e`.
///
/// As a config file writes its settings: `{"kind": "dopamine2", "sigma":
/// 0.01, "eta": 0.1, "beta": 0.9, "lambda": 0.5}`. Fields not given take
/// their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Dopamine2Settings {
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
    /// Decay of the eligibility trace, in [0, 1) (default 0.5).
    pub lambda: f64,
}

impl Default for Dopamine2Settings {
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
            lambda: 0.5,
        }
    }
}

impl Dopamine2Settings {
    /// Dopamine-2 with probing settings `p`, RPE statistics of factor
    /// `beta` and trace decay `lambda` (the other coding settings at their
    /// defaults).
    pub fn new(p: PerturbSpec, beta: f64, lambda: f64) -> Self {
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
            lambda,
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

impl<T: Float, S, U> NamedRule for Dopamine2Rule<T, S, U> {
    const NAME: &'static str = Dopamine2Settings::NAME;
}

impl<T, S, U> StateViews<T> for Dopamine2Rule<T, S, U>
where
    T: Float,
    S: AsRef<[T]> + AsMut<[T]>,
    U: AsRef<[T]> + AsMut<[T]>,
{
    const VIEWS: &'static [ViewInfo] = &[
        CODING_VIEWS[0],
        CODING_VIEWS[1],
        ViewInfo {
            name: "trace",
            doc: "A copy of the eligibility trace (one value per parameter).",
            kind: ViewKind::Vector,
        },
        ViewInfo {
            name: "lambda",
            doc: "The trace decay `lambda`.",
            kind: ViewKind::Number,
        },
    ];
    fn view(&self, name: &str) -> Option<View<'_, T>> {
        match name {
            "trace" => Some(View::Vector(self.trace())),
            "lambda" => Some(View::Number(self.lambda().to_f64())),
            _ => coding_view(self.stats(), name),
        }
    }
}

impl OptimizerEntry for Dopamine2Settings {
    const NAME: &'static str = "Dopamine-2";
    const KIND: &'static str = "dopamine2";
    const FAMILY: Family = Family::Perturbation;
    const RENAMED: &'static [(&'static str, &'static str)] = super::perturb::RENAMED;
    const PYTHON: Python = Python::Class("Dopamine2");
    const OPTIONS: Allowed = Allowed {
        rank: true,
        baseline_from_probes: true,
        second_moment: true,
        beta1: false,
        online_every: false,
    };

    fn describe(&self) -> String {
        format!(
            "{} beta={} lambda={}{}",
            self.perturb().describe("K"),
            self.beta,
            self.lambda,
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
        let rule = Dopamine2Rule::new(
            self.coding(),
            T::from_f64(self.lambda),
            sink.zeros(ctx.dim),
        );
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
