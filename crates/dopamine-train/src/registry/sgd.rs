//! SGD with momentum on backprop / BPTT gradients in the registry: [`SgdSettings`] and its entry.

use serde::{Deserialize, Serialize};

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::optimizers::{OnlineGradient, SgdOptimizer};
use crate::registry::entry::{BuildContext, Family, OptimizerEntry};
use crate::registry::options::{Allowed, SpecOptions};
use crate::registry::python::Python;
use crate::registry::sink::Sink;

/// SGD with heavy-ball momentum on the gradient of the loss
/// (backpropagation or BPTT), `v = momentum v + g`, `w -= lr v`; an
/// update followed by a non-finite loss is rolled back and the learning
/// rate halved.
///
/// As a config file writes its settings: `{"kind": "sgd", "lr": 0.1,
/// "momentum": 0.9}`. Fields not given take their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    const PYTHON: Python = Python::Class("SGD");
    const OPTIONS: Allowed = Allowed {
        online_every: true,
        ..Allowed::NONE
    };

    fn describe(&self) -> String {
        format!("lr={} momentum={}", self.lr, self.momentum)
    }
    fn rate(&self) -> f64 {
        self.lr
    }
    fn set_rate(&mut self, rate: f64) {
        self.lr = rate;
    }
    /// A forward and a backward pass (per pass over the sequence when
    /// online: see [`OnlineGradient`]).
    fn passes_per_step(&self, _options: &SpecOptions) -> u64 {
        2
    }
    fn check_options(&self, options: &SpecOptions) -> Result<(), SpecError> {
        options.check_allowed(Self::NAME, Self::OPTIONS)
    }
    fn build_into<T: Float, S: Sink<T>>(
        &self,
        ctx: &BuildContext<'_>,
        sink: S,
    ) -> Result<S::Output, TrainError> {
        let sgd = SgdOptimizer::sgd(T::from_f64(self.lr), T::from_f64(self.momentum), ctx.dim)?;
        Ok(match ctx.options.online_every {
            Some(every) => sink.optimizer(OnlineGradient::new(sgd, every)?),
            None => sink.optimizer(sgd),
        })
    }
}
