//! Adam on backprop / BPTT gradients in the registry: [`AdamSettings`] and its entry.

use serde::{Deserialize, Serialize};

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::optimizers::{AdamOptimizer, OnlineGradient};
use crate::registry::entry::{BuildContext, Family, OptimizerEntry};
use crate::registry::options::{Allowed, SpecOptions};
use crate::registry::python::Python;
use crate::registry::sink::Sink;

/// Adam (Kingma and Ba 2015) on the gradient of the loss (backpropagation
/// or BPTT), second moment `beta2 = 0.999`, `eps = 1e-8`; an update
/// followed by a non-finite loss is rolled back and the learning rate
/// halved.
///
/// As a config file writes its settings: `{"kind": "adam", "lr": 0.003}`;
/// its first-moment factor is the option `beta1` (a tuning axis).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    const PYTHON: Python = Python::Class("Adam");
    const OPTIONS: Allowed = Allowed {
        beta1: true,
        online_every: true,
        ..Allowed::NONE
    };

    fn describe(&self) -> String {
        format!("lr={}", self.lr)
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
        options.check_allowed(
            Self::NAME,
            Self::OPTIONS,
        )
    }
    fn build_into<T: Float, S: Sink<T>>(
        &self,
        ctx: &BuildContext<'_>,
        sink: S,
    ) -> Result<S::Output, TrainError> {
        let adam = AdamOptimizer::adam_with_beta1(
            T::from_f64(self.lr),
            T::from_f64(ctx.options.beta1.unwrap_or(0.9)),
            ctx.dim,
        )?;
        Ok(match ctx.options.online_every {
            Some(every) => sink.optimizer(OnlineGradient::new(adam, every)?),
            None => sink.optimizer(adam),
        })
    }
}
