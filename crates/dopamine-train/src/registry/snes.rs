//! SNES (Schaul, Glasmachers and Schmidhuber 2011) in the registry: [`SnesSettings`] and its entry.

use dopamine_core::SnesConfig;
use serde::{Deserialize, Serialize};

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::optimizers::SnesOptimizer;
use crate::registry::entry::{BuildContext, Family, OptimizerEntry};
use crate::registry::options::{Allowed, SpecOptions};
use crate::registry::python::Python;
use crate::registry::sink::Sink;
use crate::registry::views::{StateViews, View, ViewInfo, ViewKind};

/// SNES, separable natural evolution strategies (Schaul, Glasmachers and
/// Schmidhuber 2011): a Gaussian search distribution around the parameters
/// (its mean `mu`) with one `sigma` per parameter. A step samples
/// `population` points `mu + sigma * s_k`, ranks their losses into
/// utilities `u_k`, and updates `mu += eta * sigma * sum_k u_k s_k` and
/// `sigma *= exp(eta_sigma / 2 * sum_k u_k (s_k^2 - 1))`. The noise is
/// Gaussian and full rank.
///
/// As a config file writes its settings: `{"kind": "snes", "sigma": 0.05,
/// "eta": 1.0, "population": 16}`. Fields not given take their defaults
/// (the paper's, for the number of parameters `d`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SnesSettings {
    /// Initial `sigma` of every parameter, > 0 (default 0.1).
    pub sigma: f64,
    /// Learning rate of the mean `eta_mu`, > 0 (the paper's 1 by default).
    pub eta: f64,
    /// Points per step `lambda` (= forward passes per step), 2..=256
    /// (default the paper's `4 + floor(3 ln d)`).
    pub population: Option<usize>,
    /// Learning rate of `sigma`, >= 0 (default the paper's
    /// `(3 + ln d) / (5 sqrt d)`).
    pub eta_sigma: Option<f64>,
}

impl Default for SnesSettings {
    fn default() -> Self {
        Self {
            sigma: 0.1,
            eta: 1.0,
            population: None,
            eta_sigma: None,
        }
    }
}

impl SnesSettings {
    /// The kernel's settings for `dim` parameters (the paper's defaults
    /// where none is given).
    pub fn config<T: Float>(&self, dim: usize, seed: u64) -> SnesConfig<T> {
        let mut config = SnesConfig::new(dim, T::from_f64(self.sigma));
        config.eta_mu = T::from_f64(self.eta);
        if let Some(p) = self.population {
            config.population = p;
        }
        if let Some(e) = self.eta_sigma {
            config.eta_sigma = T::from_f64(e);
        }
        config.seed = seed;
        config
    }
}

impl OptimizerEntry for SnesSettings {
    const NAME: &'static str = "SNES";
    const KIND: &'static str = "snes";
    const FAMILY: Family = Family::EvolutionStrategy;
    const RENAMED: &'static [(&'static str, &'static str)] =
        &[("sigma0", "sigma"), ("eta_mu", "eta")];
    const PYTHON: Python = Python::Class("SNES");

    fn describe(&self) -> String {
        let mut d = format!("sigma={} eta={}", self.sigma, self.eta);
        if let Some(p) = self.population {
            d.push_str(&format!(" population={p}"));
        }
        if let Some(e) = self.eta_sigma {
            d.push_str(&format!(" eta_sigma={e}"));
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
    /// The population; without one, the paper's default needs the number
    /// of parameters, so this counts 0 and the built optimizer's
    /// [`dopamine_core::PopulationOptimizer::points_per_step`] is the truth.
    fn passes_per_step(&self, _options: &SpecOptions) -> u64 {
        self.population.unwrap_or(0) as u64
    }
    fn check_options(&self, options: &SpecOptions) -> Result<(), SpecError> {
        options.check_allowed(Self::NAME, Allowed::default())
    }
    fn build_into<T: Float, S: Sink<T>>(
        &self,
        ctx: &BuildContext<'_>,
        sink: S,
    ) -> Result<S::Output, TrainError> {
        Ok(sink.optimizer(SnesOptimizer::new(
            self.config(ctx.dim, ctx.seed),
            ctx.dim,
        )?))
    }
}

impl<T: Float> StateViews<T> for SnesOptimizer<T> {
    const VIEWS: &'static [ViewInfo] = &[ViewInfo {
        name: "sigma",
        doc: "A copy of the per-parameter step sizes `sigma`.",
        kind: ViewKind::Vector,
    }];
    fn view(&self, name: &str) -> Option<View<'_, T>> {
        (name == "sigma").then(|| View::Vector(self.snes().sigma()))
    }
}
