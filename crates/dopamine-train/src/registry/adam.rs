//! Adam on backprop / BPTT gradients in the registry: [`AdamSettings`] and its entry.

use serde::{Deserialize, Serialize};

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::optimizer::Optimizer;
use crate::optimizers::AdamOptimizer;
use crate::registry::entry::{BuildContext, Family, OptimizerEntry};
use crate::registry::options::{Allowed, SpecOptions};

/// Adam's settings, as a config file writes them: `{"kind": "adam", "lr":
/// 0.003}`; its first-moment factor is the option `beta1` (a tuning axis).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdamSettings {
    /// Learning rate (default 0.001).
    pub lr: f64,
}

impl Default for AdamSettings {
    fn default() -> Self {
        Self { lr: 1e-3 }
    }
}

impl OptimizerEntry for AdamSettings {
    const NAME: &'static str = "Adam";
    const KIND: &'static str = "adam";
    const FAMILY: Family = Family::Gradient;
    const ABOUT: &'static str =
        "Adam on backpropagated (BPTT) gradients";

    fn describe(&self) -> String {
        format!("lr={}", self.lr)
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
        options.check_allowed(
            Self::NAME,
            Allowed {
                beta1: true,
                ..Default::default()
            },
        )
    }
    fn build<T: Float>(&self, ctx: &BuildContext<'_>) -> Result<Box<dyn Optimizer<T>>, TrainError> {
        Ok(Box::new(AdamOptimizer::adam_with_beta1(
            T::from_f64(self.lr),
            T::from_f64(ctx.options.beta1.unwrap_or(0.9)),
            ctx.dim,
        )?))
    }
}
