//! SNES (Schaul, Glasmachers and Schmidhuber 2011) in the registry: [`SnesSettings`] and its entry.

use dopamine_core::SnesConfig;
use serde::{Deserialize, Serialize};

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::optimizer::Optimizer;
use crate::optimizers::SnesOptimizer;
use crate::registry::entry::{BuildContext, Family, OptimizerEntry};
use crate::registry::options::{Allowed, SpecOptions};

/// SNES's settings, as a config file writes them: `{"kind": "snes",
/// "sigma": 0.05, "eta": 1.0, "population": 16}`. Fields not given take
/// their defaults (the paper's, for the number of parameters `d`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
    const ABOUT: &'static str =
        "separable natural evolution strategy: a Gaussian search distribution with one sigma per weight";
    const RENAMED: &'static [(&'static str, &'static str)] =
        &[("sigma0", "sigma"), ("eta_mu", "eta")];

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
    fn build<T: Float>(&self, ctx: &BuildContext<'_>) -> Result<Box<dyn Optimizer<T>>, TrainError> {
        Ok(Box::new(SnesOptimizer::new(
            self.config(ctx.dim, ctx.seed),
            ctx.dim,
        )?))
    }
}
