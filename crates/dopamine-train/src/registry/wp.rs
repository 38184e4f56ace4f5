//! WP (weight perturbation) in the registry: [`WpSettings`] and its entry.

use dopamine_core::{WpConfig, WpRule};
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

/// WP (weight perturbation): `w += eta/K sum_k (delta_k / sigma) z_k`
/// with the reward prediction errors `delta_k`, stochastic gradient
/// descent on a forward-only estimate of the gradient.
///
/// As a config file writes its settings: `{"kind": "wp", "sigma": 0.001,
/// "eta": 0.01, "probes": 4}`. Fields not given take their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WpSettings {
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
    /// Halve `eta` each time an update is undone because the loss after it
    /// was not finite (default true).
    pub halve_on_divergence: bool,
}

impl Default for WpSettings {
    fn default() -> Self {
        let p = PerturbSpec::default();
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
            halve_on_divergence: true,
        }
    }
}

impl WpSettings {
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
}

impl From<PerturbSpec> for WpSettings {
    /// WP with these probing settings (halving on divergence).
    fn from(p: PerturbSpec) -> Self {
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
            halve_on_divergence: true,
        }
    }
}

impl<T: Float> NamedRule for WpRule<T> {
    const NAME: &'static str = WpSettings::NAME;
    fn rate_scale(&self) -> f64 {
        self.eta_scale().to_f64()
    }
}

impl<T: Float> StateViews<T> for WpRule<T> {
    const VIEWS: &'static [ViewInfo] = &[ViewInfo {
        name: "eta_scale",
        doc: "The factor (a power of 1/2) that divergences have put on `eta`.",
        kind: ViewKind::Number,
    }];
    fn view(&self, name: &str) -> Option<View<'_, T>> {
        (name == "eta_scale").then(|| View::Number(self.eta_scale().to_f64()))
    }
}

impl OptimizerEntry for WpSettings {
    const NAME: &'static str = "WP";
    const KIND: &'static str = "wp";
    const FAMILY: Family = Family::Perturbation;
    const RENAMED: &'static [(&'static str, &'static str)] = super::perturb::RENAMED;
    const PYTHON: Python = Python::Class("WP");
    const OPTIONS: Allowed = Allowed {
        rank: true,
        baseline_from_probes: true,
        ..Allowed::NONE
    };

    fn describe(&self) -> String {
        let mut d = self.perturb().describe("K");
        if !self.halve_on_divergence {
            d.push_str(" no-halving");
        }
        d
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
                ..Default::default()
            },
        )
    }
    fn build_into<T: Float, S: Sink<T>>(
        &self,
        ctx: &BuildContext<'_>,
        sink: S,
    ) -> Result<S::Output, TrainError> {
        let config = with_options(self.perturb().config(ctx.seed, ctx.total_steps), ctx);
        let rule = WpRule::new(WpConfig {
            halve_on_divergence: self.halve_on_divergence,
        });
        perturbation(config, rule, ctx, sink)
    }
}
