//! Gradient methods as [`Optimizer`]s: [`GradientDescent`] over a [`GradientRule`] (SGD with momentum, Adam), with rollback after a non-finite loss.

use dopamine_core::{Adam, AdamConfig, Sgd, SgdConfig};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{CheckpointError, TrainError};
use crate::float::Float;
use crate::objective::Objective;
use crate::optimizer::{Optimizer, StepInfo};
use crate::state::{decode_state, encode_state};

/// A gradient update over slices, with the two state buffers it may use.
pub trait GradientRule<T: Float>: Serialize + DeserializeOwned + Send {
    /// The method's short name (`SGD`, `Adam`, ...).
    const NAME: &'static str;

    /// `params -= f(grad)`, using and updating the per-parameter state
    /// buffers `a` and `b` (velocity, moments). Errors (nothing changes):
    /// lengths that do not match, a non-finite gradient.
    fn update(
        &mut self,
        params: &mut [T],
        grad: &[T],
        a: &mut [T],
        b: &mut [T],
    ) -> Result<(), dopamine_core::Error>;

    /// Multiplies the learning rate by `factor` (halving after a divergence).
    fn scale_lr(&mut self, factor: T);

    /// The learning rate.
    fn lr(&self) -> T;
}

impl<T: Float> GradientRule<T> for Sgd<T> {
    const NAME: &'static str = "SGD";
    fn update(
        &mut self,
        params: &mut [T],
        grad: &[T],
        a: &mut [T],
        _b: &mut [T],
    ) -> Result<(), dopamine_core::Error> {
        self.step(params, grad, a)
    }
    fn scale_lr(&mut self, factor: T) {
        Sgd::scale_lr(self, factor);
    }
    fn lr(&self) -> T {
        Sgd::lr(self)
    }
}

impl<T: Float> GradientRule<T> for Adam<T> {
    const NAME: &'static str = "Adam";
    fn update(
        &mut self,
        params: &mut [T],
        grad: &[T],
        a: &mut [T],
        b: &mut [T],
    ) -> Result<(), dopamine_core::Error> {
        self.step(params, grad, a, b)
    }
    fn scale_lr(&mut self, factor: T) {
        Adam::scale_lr(self, factor);
    }
    fn lr(&self) -> T {
        Adam::lr(self)
    }
}

/// A gradient method with its buffers: the gradient, two state vectors, and
/// the parameters before the last update, so that an update followed by a
/// non-finite loss is rolled back (and the learning rate halved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradientDescent<T, G> {
    rule: G,
    grad: Vec<T>,
    state_a: Vec<T>,
    state_b: Vec<T>,
    previous: Vec<T>,
    has_previous: bool,
}

/// SGD with momentum on backprop / BPTT gradients.
pub type SgdOptimizer<T> = GradientDescent<T, Sgd<T>>;
/// Adam on backprop / BPTT gradients.
pub type AdamOptimizer<T> = GradientDescent<T, Adam<T>>;

impl<T: Float, G: GradientRule<T>> GradientDescent<T, G> {
    /// `rule` for `dim` parameters.
    pub fn new(rule: G, dim: usize) -> Self {
        Self {
            rule,
            grad: vec![T::ZERO; dim],
            state_a: vec![T::ZERO; dim],
            state_b: vec![T::ZERO; dim],
            previous: vec![T::ZERO; dim],
            has_previous: false,
        }
    }

    /// The rule and its state.
    pub fn rule(&self) -> &G {
        &self.rule
    }
}

impl<T: Float> SgdOptimizer<T> {
    /// SGD with learning rate `lr` and heavy-ball `momentum`, validated.
    pub fn sgd(lr: T, momentum: T, dim: usize) -> Result<Self, TrainError> {
        let rule = Sgd::new(SgdConfig {
            lr,
            momentum,
            nesterov: false,
        })?;
        Ok(Self::new(rule, dim))
    }
}

impl<T: Float> AdamOptimizer<T> {
    /// Adam with learning rate `lr` and the default moments, validated.
    pub fn adam(lr: T, dim: usize) -> Result<Self, TrainError> {
        let rule = Adam::new(AdamConfig {
            lr,
            ..Default::default()
        })?;
        Ok(Self::new(rule, dim))
    }

    /// Adam with learning rate `lr`, first-moment factor `beta1` and the
    /// default second moment, validated.
    pub fn adam_with_beta1(lr: T, beta1: T, dim: usize) -> Result<Self, TrainError> {
        let rule = Adam::new(AdamConfig {
            lr,
            beta1,
            ..Default::default()
        })?;
        Ok(Self::new(rule, dim))
    }
}

impl<T: Float, G: GradientRule<T>> Optimizer<T> for GradientDescent<T, G> {
    fn name(&self) -> &str {
        G::NAME
    }

    fn dim(&self) -> usize {
        self.grad.len()
    }

    /// Loss and gradient; if either is not finite, roll back to the
    /// parameters before the last update and halve the rate (an error if
    /// there is no update to roll back); else remember the parameters and
    /// update.
    fn step(&mut self, objective: &mut dyn Objective<T>) -> Result<StepInfo, TrainError> {
        let loss = objective
            .loss_and_gradient(&mut self.grad)
            .ok_or(TrainError::NoGradient)?;
        let info = StepInfo {
            loss: loss.to_f64(),
            forward_passes: 1,
            backward_passes: 1,
            ..Default::default()
        };
        self.apply(objective, loss, info)
    }

    fn current_rate(&self) -> f64 {
        self.rule.lr().to_f64()
    }

    fn save_state(&self) -> Result<Vec<u8>, CheckpointError> {
        encode_state(self)
    }

    fn load_state(&mut self, state: &[u8]) -> Result<(), CheckpointError> {
        self.load(state)
    }
}

impl<T: Float, G: GradientRule<T>> GradientDescent<T, G> {
    /// The gradient buffer, for a step that computes its own gradient.
    pub(crate) fn grad_mut(&mut self) -> &mut [T] {
        &mut self.grad
    }

    /// The update after `loss` with the gradient in the gradient buffer:
    /// if either is not finite, roll back to the parameters before the last
    /// update and halve the rate (an error if there is no update to roll
    /// back); else remember the parameters and update. `info` is the
    /// step's report so far.
    pub(crate) fn apply(
        &mut self,
        objective: &mut dyn Objective<T>,
        loss: T,
        mut info: StepInfo,
    ) -> Result<StepInfo, TrainError> {
        info.effective_eta = self.rule.lr().to_f64();
        if !loss.is_finite() || self.grad.iter().any(|g| !g.is_finite()) {
            if self.has_previous {
                objective.params_mut().copy_from_slice(&self.previous);
                self.has_previous = false;
                self.rule.scale_lr(T::from_f64(0.5));
                info.rejected = true;
                return Ok(info);
            }
            return Err(TrainError::NonFiniteStart);
        }
        self.previous.copy_from_slice(objective.params());
        self.has_previous = true;
        self.rule.update(
            objective.params_mut(),
            &self.grad,
            &mut self.state_a,
            &mut self.state_b,
        )?;
        Ok(info)
    }

    /// Restores a state of [`Optimizer::save_state`], checking its lengths.
    pub(crate) fn load(&mut self, state: &[u8]) -> Result<(), CheckpointError> {
        let restored: Self = decode_state(state)?;
        let dim = self.grad.len();
        let lens = [
            restored.grad.len(),
            restored.state_a.len(),
            restored.state_b.len(),
            restored.previous.len(),
        ];
        if lens.iter().any(|&l| l != dim) {
            return Err(CheckpointError::Invalid(format!(
                "{} state has lengths {lens:?} for {dim} parameters",
                G::NAME
            )));
        }
        *self = restored;
        Ok(())
    }
}
