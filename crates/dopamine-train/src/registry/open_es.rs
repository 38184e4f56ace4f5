//! OpenES (Salimans et al. 2017) in the registry: [`OpenEsSettings`] and its entry.

use dopamine_core::{OpenEsConfig, OpenEsRule, PerturbConfig};
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

/// OpenES (Salimans et al. 2017): antithetic pairs `w +- sigma z_k`,
/// centred ranks of all `2K` losses, and Adam on the search gradient
/// `g = 1/(2K sigma) sum_k (u_k+ - u_k-) z_k`; Adam's input is
/// `-g + l2 w`. A step evaluates the `2K` points without a baseline; a
/// non-finite loss after an update undoes it and restarts Adam.
///
/// As a config file writes its settings: `{"kind": "openes", "sigma":
/// 0.02, "eta": 0.01, "pairs": 8}`. Fields not given take their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OpenEsSettings {
    /// Noise scale `sigma` (the starter code's `noise_stdev`; default 0.001).
    pub sigma: f64,
    /// Adam's step size on the search gradient (default 0.01).
    pub eta: f64,
    /// Antithetic pairs `K` per step (`2K` forward passes; default 1).
    pub pairs: usize,
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
    /// L2 coefficient added to Adam's input (`l2 theta`; default 0: none).
    pub l2: f64,
    /// Adam's first-moment factor, in [0, 1) (default 0.9).
    pub beta1: f64,
    /// Adam's second-moment factor, in [0, 1) (default 0.999).
    pub beta2: f64,
    /// Added to Adam's `sqrt(v)`, > 0 (default 1e-8).
    pub eps: f64,
}

impl Default for OpenEsSettings {
    fn default() -> Self {
        let p = PerturbSpec::default();
        let a = OpenEsConfig::<f64>::default();
        Self {
            sigma: p.sigma,
            eta: p.eta,
            pairs: 1,
            cosine_to: None,
            total_steps: None,
            every: None,
            factor: None,
            noise: Noise::Gaussian,
            l2: a.l2,
            beta1: a.beta1,
            beta2: a.beta2,
            eps: a.eps,
        }
    }
}

impl OpenEsSettings {
    /// The probing and schedule settings (antithetic pairs).
    pub fn perturb(&self) -> PerturbSpec {
        PerturbSpec {
            sigma: self.sigma,
            eta: self.eta,
            probes: self.pairs,
            antithetic: true,
            cosine_to: self.cosine_to,
            total_steps: self.total_steps,
            every: self.every,
            factor: self.factor,
            noise: self.noise,
        }
    }
}

impl<T: Float, S> NamedRule for OpenEsRule<T, S> {
    const NAME: &'static str = OpenEsSettings::NAME;
}

impl<T: Float, S: AsRef<[T]> + AsMut<[T]>> StateViews<T> for OpenEsRule<T, S> {
    const VIEWS: &'static [ViewInfo] = &[
        ViewInfo {
            name: "moments",
            doc: "Copies of Adam's moments `(m, v)`, one value per parameter each.",
            kind: ViewKind::VectorPair,
        },
        ViewInfo {
            name: "adam_steps",
            doc: "Adam steps since the moments were last cleared (by an undo).",
            kind: ViewKind::Count,
        },
    ];
    fn view(&self, name: &str) -> Option<View<'_, T>> {
        match name {
            "moments" => {
                let (m, v) = self.moments();
                Some(View::VectorPair(m, v))
            }
            "adam_steps" => Some(View::Count(self.adam_steps())),
            _ => None,
        }
    }
}

impl OptimizerEntry for OpenEsSettings {
    const NAME: &'static str = "OpenES";
    const KIND: &'static str = "openes";
    const FAMILY: Family = Family::EvolutionStrategy;
    const RENAMED: &'static [(&'static str, &'static str)] = &[
        ("probes", "pairs"),
        ("final_fraction", "cosine_to"),
        ("schedule", "cosine_to` or `every` and `factor"),
    ];
    const PYTHON: Python = Python::Class("OpenES");
    const OPTIONS: Allowed = Allowed {
        rank: true,
        ..Allowed::NONE
    };

    fn describe(&self) -> String {
        let mut d = self.perturb().describe("pairs");
        d = d.replacen(" antithetic", "", 1);
        if self.l2 != 0.0 {
            d.push_str(&format!(" l2={}", self.l2));
        }
        let a = OpenEsConfig::<f64>::default();
        if (self.beta1, self.beta2, self.eps) != (a.beta1, a.beta2, a.eps) {
            d.push_str(&format!(
                " adam({}, {}, {})",
                self.beta1, self.beta2, self.eps
            ));
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
    fn passes_per_step(&self, _options: &SpecOptions) -> u64 {
        2 * self.pairs as u64
    }
    fn check_options(&self, options: &SpecOptions) -> Result<(), SpecError> {
        self.perturb().check_schedule()?;
        options.check_allowed(
            Self::NAME,
            Allowed {
                rank: true,
                ..Default::default()
            },
        )
    }
    fn build_into<T: Float, S: Sink<T>>(
        &self,
        ctx: &BuildContext<'_>,
        sink: S,
    ) -> Result<S::Output, TrainError> {
        let p = self.perturb();
        let config = PerturbConfig {
            sigma: T::from_f64(p.sigma),
            eta: T::from_f64(p.eta),
            probes: p.probes,
            noise: p.noise.into(),
            schedule: p.schedule(ctx.total_steps),
            seed: ctx.seed,
            ..PerturbConfig::antithetic()
        };
        let rule = OpenEsRule::new(
            OpenEsConfig {
                beta1: T::from_f64(self.beta1),
                beta2: T::from_f64(self.beta2),
                eps: T::from_f64(self.eps),
                l2: T::from_f64(self.l2),
            },
            sink.zeros(2 * ctx.dim),
        );
        perturbation(with_options(config, ctx), rule, ctx, sink)
    }
}
