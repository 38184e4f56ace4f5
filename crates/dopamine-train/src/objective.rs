//! The [`Objective`] trait: a model plus its training data, as optimizers see it — parameters, a loss, and optionally a gradient.
//!
//! Adapters are in [`crate::objectives`]: a loss closure of a parameter
//! slice and the models of `dopamine-nets`.

use dopamine_core::{ParamLayout, Plan, Population};
use dopamine_nets::Scalar;

use crate::error::TrainError;
use crate::node_model::NodeModel;
use crate::sequence::{SequenceBlock, SequenceStream};

/// FLOPs of one loss evaluation and of one backward pass, from the model's own accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PassCost {
    /// FLOPs of a forward pass that ends in a loss value.
    pub forward_flops: u64,
    /// FLOPs of a backward pass, excluding its forward pass.
    pub backward_flops: u64,
}

/// Buffers [`Objective::evaluate_plan`]'s default builds points in: the
/// moving base and one point. Kept by the caller (the trainer keeps one per
/// run), so evaluating a plan allocates nothing after the first step.
#[derive(Debug, Clone, Default)]
pub struct PlanScratch<T> {
    base: Vec<T>,
    point: Vec<T>,
}

impl<T: Scalar> PlanScratch<T> {
    /// Empty buffers; they grow to the parameter count on first use.
    pub fn new() -> Self {
        Self {
            base: Vec::new(),
            point: Vec::new(),
        }
    }

    /// The base (a copy of `params`) and a point buffer of the same length.
    pub fn buffers(&mut self, params: &[T]) -> (&mut [T], &mut [T]) {
        self.base.clear();
        self.base.extend_from_slice(params);
        self.point.resize(params.len(), T::ZERO);
        (&mut self.base, &mut self.point)
    }
}

/// A trainable loss: parameters that optimizers move in place, the loss at
/// those parameters or at any other parameter slice, and, for the gradient
/// methods, its gradient.
///
/// A model that evaluates many parameter vectors at once (a population
/// forward pass) overrides [`Objective::evaluate_plan`] (matching on the
/// [`Plan`] when it evaluates a perturbation step's low-rank points itself)
/// and returns `true`
/// from [`Objective::prefers_population`]; the trainer then hands it every
/// point of a step together.
pub trait Objective<T: Scalar>: Send {
    /// The flat parameter vector.
    fn params(&self) -> &[T];

    /// The flat parameter vector, mutable: the perturbation rules work on it in place.
    fn params_mut(&mut self) -> &mut [T];

    /// The training loss at the current parameters (one forward pass). A
    /// failed evaluation is a NaN loss, which the optimizers' safety nets
    /// handle.
    fn loss(&mut self) -> T;

    /// The training loss at `params` (one forward pass), leaving the
    /// objective's own parameters as they are. `params` has the length of
    /// [`Objective::params`].
    fn loss_at(&mut self, params: &[T]) -> T;

    /// The losses of every point of `plan` (a step of any population
    /// method planned at `params`), written into `losses` in plan order;
    /// `losses.len()` is `plan.len()`.
    ///
    /// The default builds each point with [`Population::build_point`] into
    /// `scratch` and evaluates it with [`Objective::loss_at`]: bit for bit
    /// the losses an ask/tell step sees.
    ///
    /// Errors: buffers of the wrong length.
    fn evaluate_plan(
        &mut self,
        plan: &Plan<'_, T>,
        params: &[T],
        losses: &mut [T],
        scratch: &mut PlanScratch<T>,
    ) -> Result<(), TrainError> {
        if losses.len() != plan.len() {
            return Err(dopamine_core::Error::LengthMismatch {
                expected: plan.len(),
                got: losses.len(),
            }
            .into());
        }
        let (base, point) = scratch.buffers(params);
        for (e, loss) in losses.iter_mut().enumerate() {
            plan.build_point(e, base, point)?;
            *loss = self.loss_at(point);
        }
        Ok(())
    }

    /// `true` when [`Objective::evaluate_plan`] is faster than evaluating
    /// the points one by one, so a trainer should run population steps.
    fn prefers_population(&self) -> bool {
        false
    }

    /// The training loss and its gradient, written into `grad` (one forward
    /// and one backward pass). `None` when the objective has no gradient.
    fn loss_and_gradient(&mut self, grad: &mut [T]) -> Option<T> {
        let _ = grad;
        None
    }

    /// The model's neurons and lockstep passes, for Dopamine-3
    /// ([`crate::Dopamine3Optimizer`]). The RNN and MLP objectives have
    /// them; by default an objective has none.
    ///
    /// # Errors
    /// [`TrainError::NoNeurons`] by default (a loss closure has no neurons
    /// to perturb).
    fn node_model(&mut self) -> Result<&mut dyn NodeModel<T>, TrainError> {
        Err(TrainError::NoNeurons)
    }

    /// Time steps of the training sequence, for an objective that has one
    /// (the RNN); `None` by default.
    fn sequence_len(&self) -> Option<usize> {
        None
    }

    /// Truncated BPTT online ([`crate::SpecOptions::online_every`]): the
    /// loss and gradient (into `grad`) of the next block of at most
    /// `max_steps` time steps of the training sequence, from the hidden
    /// state in `stream` (zeros at position 0), through the block only;
    /// `stream` is advanced past it. `None` when the objective has no
    /// sequence (the default).
    fn block_loss_and_gradient(
        &mut self,
        stream: &mut SequenceStream<T>,
        max_steps: usize,
        grad: &mut [T],
    ) -> Option<Result<SequenceBlock<T>, TrainError>> {
        let _ = (stream, max_steps, grad);
        None
    }

    /// What a pass costs.
    fn cost(&self) -> PassCost {
        PassCost::default()
    }

    /// The parameters' layout for low-rank probes of rank `rank` (which
    /// slices are weight matrices), or `None` when the objective has none;
    /// [`crate::OptimizerSpec::build_with`] needs it for
    /// [`crate::SpecOptions::rank`].
    fn param_layout(&self, rank: usize) -> Option<ParamLayout> {
        let _ = rank;
        None
    }
}
