//! SGD with momentum on backprop / BPTT gradients in the registry: [`SgdSettings`] and its entry.

use serde::{Deserialize, Serialize};

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::optimizer::Optimizer;
use crate::optimizers::SgdOptimizer;
use crate::registry::entry::{BuildContext, Family, OptimizerEntry};
use crate::registry::options::{Allowed, SpecOptions};

/// SGD's settings, as a config file writes them: `{"kind": "sgd", "lr":
/// 0.1, "momentum": 0.9}`. Fields not given take their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SgdSettings {
    /// Learning rate (default 0.01).
    pub lr: f64,
    /// Heavy-ball momentum, in [0, 1) (default 0.9).
    pub momentum: f64,
}

impl Default for SgdSettings {
    fn default() -> Self {
        Self {
            lr: 0.01,
            momentum: 0.9,
        }
    }
}

impl OptimizerEntry for SgdSettings {
    const NAME: &'static str = "SGD";
    const KIND: &'static str = "sgd";
    const FAMILY: Family = Family::Gradient;
    const ABOUT: &'static str =
        "stochastic gradient descent with momentum on backpropagated (BPTT) gradients";

    fn describe(&self) -> String {
        format!("lr={} momentum={}", self.lr, self.momentum)
    }
    fn rate(&self) -> f64 {
        self.lr
    }
    fn set_rate(&mut self, rate: f64) {
        self.lr = rate;
    }
    /// A forward and a backward pass.
    fn passes_per_step(&self, _options: &SpecOptions) -> u64 {
        2
    }
    fn check_options(&self, options: &SpecOptions) -> Result<(), SpecError> {
        options.check_allowed(Self::NAME, Allowed::default())
    }
    fn build<T: Float>(&self, ctx: &BuildContext<'_>) -> Result<Box<dyn Optimizer<T>>, TrainError> {
        Ok(Box::new(SgdOptimizer::sgd(
            T::from_f64(self.lr),
            T::from_f64(self.momentum),
            ctx.dim,
        )?))
    }
}
