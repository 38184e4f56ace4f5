//! The optimizer behind a Python object, whichever the registry built: [`Kernel`] over its three shapes — a perturbation optimizer (population and one-point interfaces), another population method (SNES), a gradient method — and [`PySink`], the registry sink that keeps each one's type.

use dopamine_core::{
    Error, PerturbConfig, PerturbationOptimizer, PopulationOptimizer, Query, Side, Told,
};
use dopamine_train::registry::{BuiltOptimizer, BuiltRule, Sink, View};
use dopamine_train::{
    CheckpointError, Objective, Optimizer, StepInfo, TrainError, decode_state, encode_state,
};
use serde::{Deserialize, Serialize};

use crate::engine::{Float, SharedVec};

/// The one-point ask/tell of a perturbation optimizer, whatever its rule.
pub(crate) trait OnePoint<T: Float>: Send + Sync {
    /// Number of parameters.
    fn dim(&self) -> usize;
    /// The kernel's `ask`.
    fn ask(&mut self, params: &mut [T]) -> Result<Query, Error>;
    /// The kernel's `tell`.
    fn tell(&mut self, params: &mut [T], loss: T) -> Result<Told<T>, Error>;
    /// `true` while the parameters hold a probe's perturbation.
    fn is_perturbed(&self) -> bool;
    /// The probing settings (which point each exchange is).
    fn config(&self) -> &PerturbConfig<T>;
    /// Takes the perturbation of `probe`'s `side` of the step in progress
    /// back out of `params` (as `tell` would), without telling a loss.
    fn restore_probe(&self, params: &mut [T], probe: usize, side: Side);
}

impl<T: Float, R: BuiltRule<T>> OnePoint<T> for PerturbationOptimizer<T, R> {
    fn dim(&self) -> usize {
        PerturbationOptimizer::dim(self)
    }

    fn ask(&mut self, params: &mut [T]) -> Result<Query, Error> {
        PerturbationOptimizer::ask(self, params)
    }

    fn tell(&mut self, params: &mut [T], loss: T) -> Result<Told<T>, Error> {
        PerturbationOptimizer::tell(self, params, loss)
    }

    fn is_perturbed(&self) -> bool {
        PerturbationOptimizer::is_perturbed(self)
    }

    fn config(&self) -> &PerturbConfig<T> {
        PerturbationOptimizer::config(self)
    }

    fn restore_probe(&self, params: &mut [T], probe: usize, side: Side) {
        let sigma = match side {
            Side::Plus => self.config().sigma,
            Side::Minus => -self.config().sigma,
        };
        self.noise(self.step_index()).restore(params, probe, sigma);
    }
}

/// An optimizer the bindings drive: what every shape offers, and the
/// interfaces only some have (`None` for the others).
pub(crate) trait Kernel<T: Float>: Send + Sync {
    /// The optimizer as the training library runs it (name, rate, state).
    fn optimizer(&self) -> &dyn Optimizer<T>;

    /// The population interface (the perturbation optimizers, SNES).
    fn population(&mut self) -> Option<&mut dyn PopulationOptimizer<T>>;

    /// The one-point interface (the perturbation optimizers).
    fn one_point(&mut self) -> Option<&mut dyn OnePoint<T>> {
        None
    }

    /// The one-point interface, read only.
    fn one_point_ref(&self) -> Option<&dyn OnePoint<T>> {
        None
    }

    /// A gradient step on `params` from the caller's `grad` and `loss` (the
    /// gradient methods; `None` for the others).
    fn gradient_step(
        &mut self,
        params: &mut [T],
        grad: &[T],
        loss: T,
    ) -> Option<Result<StepInfo, TrainError>> {
        let _ = (params, grad, loss);
        None
    }

    /// The index of the step in progress (= steps taken or rejected).
    fn step_index(&mut self) -> u64;

    /// A copy, to take a step back when the caller's loss function raises
    /// (per-parameter state shared copy-on-write).
    fn snapshot(&self) -> Box<dyn Kernel<T>>;

    /// The value of a state view.
    fn view(&self, name: &str) -> Option<View<'_, T>>;

    /// The whole state, in the training library's checked format.
    fn save(&self) -> Result<Vec<u8>, CheckpointError>;

    /// Replaces the state with one [`Kernel::save`] wrote for an optimizer
    /// built with the same settings; checked as a new optimizer is.
    fn load(&mut self, state: &[u8]) -> Result<(), String>;
}

impl<T: Float, R: BuiltRule<T>> Kernel<T> for PerturbationOptimizer<T, R> {
    fn optimizer(&self) -> &dyn Optimizer<T> {
        self
    }

    fn population(&mut self) -> Option<&mut dyn PopulationOptimizer<T>> {
        Some(self)
    }

    fn one_point(&mut self) -> Option<&mut dyn OnePoint<T>> {
        Some(self)
    }

    fn one_point_ref(&self) -> Option<&dyn OnePoint<T>> {
        Some(self)
    }

    fn step_index(&mut self) -> u64 {
        PerturbationOptimizer::step_index(self)
    }

    fn snapshot(&self) -> Box<dyn Kernel<T>> {
        Box::new(self.clone())
    }

    fn view(&self, name: &str) -> Option<View<'_, T>> {
        self.rule().view(name)
    }

    fn save(&self) -> Result<Vec<u8>, CheckpointError> {
        self.save_state()
    }

    /// Also checks what a new optimizer's construction checks (settings,
    /// layout, the rule against them), and that the state's settings are
    /// those this optimizer was built with (the layout only where low-rank
    /// noise uses it).
    fn load(&mut self, state: &[u8]) -> Result<(), String> {
        let (config, layout) = (*PerturbationOptimizer::config(self), *self.layout());
        self.load_state(state).map_err(|e| e.to_string())?;
        let checks = || -> Result<(), Error> {
            let (c, dim) = (PerturbationOptimizer::config(self), self.dim());
            c.validate()?;
            self.layout().validate(dim, c.rank())?;
            self.rule().validate(dim)?;
            self.rule().validate_config(c)
        };
        checks().map_err(|e| format!("inconsistent state: {e}"))?;
        let same_layout = config.rank().is_none() || *self.layout() == layout;
        if *PerturbationOptimizer::config(self) != config || !same_layout {
            return Err("the state's settings are not those of its config".into());
        }
        Ok(())
    }
}

/// A population method other than the perturbation optimizers (SNES).
#[derive(Clone)]
pub(crate) struct PopulationKernel<O>(O);

impl<T: Float, O: BuiltOptimizer<T>> Kernel<T> for PopulationKernel<O> {
    fn optimizer(&self) -> &dyn Optimizer<T> {
        &self.0
    }

    fn population(&mut self) -> Option<&mut dyn PopulationOptimizer<T>> {
        self.0.population()
    }

    fn step_index(&mut self) -> u64 {
        self.0.population().map_or(0, |p| p.step_index())
    }

    fn snapshot(&self) -> Box<dyn Kernel<T>> {
        Box::new(self.clone())
    }

    fn view(&self, name: &str) -> Option<View<'_, T>> {
        self.0.view(name)
    }

    fn save(&self) -> Result<Vec<u8>, CheckpointError> {
        self.0.save_state()
    }

    fn load(&mut self, state: &[u8]) -> Result<(), String> {
        self.0.load_state(state).map_err(|e| e.to_string())
    }
}

/// A gradient method, with the count of its steps (the training library's
/// gradient methods keep none).
#[derive(Clone)]
pub(crate) struct GradientKernel<O> {
    optimizer: O,
    steps: u64,
}

/// What a gradient kernel saves: its steps and the optimizer's own state.
#[derive(Serialize, Deserialize)]
struct GradientState {
    steps: u64,
    optimizer: Vec<u8>,
}

impl<T: Float, O: BuiltOptimizer<T>> Kernel<T> for GradientKernel<O> {
    fn optimizer(&self) -> &dyn Optimizer<T> {
        &self.optimizer
    }

    fn population(&mut self) -> Option<&mut dyn PopulationOptimizer<T>> {
        None
    }

    fn gradient_step(
        &mut self,
        params: &mut [T],
        grad: &[T],
        loss: T,
    ) -> Option<Result<StepInfo, TrainError>> {
        let mut objective = GivenGradient { params, grad, loss };
        let info = self.optimizer.step(&mut objective);
        if info.is_ok() {
            self.steps += 1;
        }
        Some(info)
    }

    fn step_index(&mut self) -> u64 {
        self.steps
    }

    fn snapshot(&self) -> Box<dyn Kernel<T>> {
        Box::new(self.clone())
    }

    fn view(&self, name: &str) -> Option<View<'_, T>> {
        self.optimizer.view(name)
    }

    fn save(&self) -> Result<Vec<u8>, CheckpointError> {
        encode_state(&GradientState {
            steps: self.steps,
            optimizer: self.optimizer.save_state()?,
        })
    }

    fn load(&mut self, state: &[u8]) -> Result<(), String> {
        let saved: GradientState = decode_state(state).map_err(|e| e.to_string())?;
        self.optimizer
            .load_state(&saved.optimizer)
            .map_err(|e| e.to_string())?;
        self.steps = saved.steps;
        Ok(())
    }
}

/// The caller's parameters, gradient and loss as the objective of one
/// gradient step (the method reads the loss and the gradient, and updates
/// or rolls back the parameters in place).
struct GivenGradient<'a, T> {
    params: &'a mut [T],
    grad: &'a [T],
    loss: T,
}

impl<T: Float> Objective<T> for GivenGradient<'_, T> {
    fn params(&self) -> &[T] {
        self.params
    }

    fn params_mut(&mut self) -> &mut [T] {
        self.params
    }

    fn loss(&mut self) -> T {
        self.loss
    }

    /// Not asked by a gradient step (the loss is only known at `params`).
    fn loss_at(&mut self, _: &[T]) -> T {
        T::from_f64(f64::NAN)
    }

    fn loss_and_gradient(&mut self, grad: &mut [T]) -> Option<T> {
        grad.copy_from_slice(self.grad);
        Some(self.loss)
    }
}

/// The bindings' sink: builds a registry entry into a [`Kernel`] that keeps
/// the optimizer's type, with per-parameter state in [`SharedVec`]s.
pub(crate) struct PySink;

impl<T: Float> Sink<T> for PySink {
    type Output = Box<dyn Kernel<T>>;
    type Vector = SharedVec<T>;

    fn zeros(&self, n: usize) -> SharedVec<T> {
        SharedVec::new(vec![T::ZERO; n])
    }

    fn perturbation<R: BuiltRule<T>>(self, optimizer: PerturbationOptimizer<T, R>) -> Self::Output {
        Box::new(optimizer)
    }

    /// A population method when it has a population step; otherwise a
    /// gradient method (the catalog gives a class only to entries that are
    /// one or the other).
    fn optimizer<O: BuiltOptimizer<T>>(self, mut optimizer: O) -> Self::Output {
        if optimizer.population().is_some() {
            Box::new(PopulationKernel(optimizer))
        } else {
            Box::new(GradientKernel {
                optimizer,
                steps: 0,
            })
        }
    }
}
