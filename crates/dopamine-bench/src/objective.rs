//! The `Objective` trait: a model plus its training data, as the trainer sees it.

use dopamine_nets::{Bptt, Loss, Mlp, MlpWorkspace, NetError, Rnn, RnnGradWorkspace, RnnWorkspace};
use faer::{Mat, MatRef};

/// FLOPs of one loss evaluation and of one backward pass, from the model's own accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PassCost {
    /// FLOPs of a forward pass that ends in a loss value.
    pub forward_flops: u64,
    /// FLOPs of a backward pass, excluding its forward pass.
    pub backward_flops: u64,
}

/// A trainable loss: parameters that the optimizers move in place, a loss at
/// the current parameters and, for the gradient baselines, its gradient.
pub trait Objective: Send {
    // Implementations return `self` from `as_dyn`.
    /// The flat parameter vector.
    fn params(&self) -> &[f64];
    /// The flat parameter vector, mutable: the perturbation rules work on it in place.
    fn params_mut(&mut self) -> &mut [f64];
    /// The training loss at the current parameters (one forward pass).
    fn loss(&mut self) -> f64;
    /// The training loss and its gradient, written into `grad` (one forward
    /// and one backward pass). `None` when the objective has no gradient.
    fn loss_and_gradient(&mut self, grad: &mut [f64]) -> Option<f64>;
    /// What a pass costs.
    fn cost(&self) -> PassCost;
    /// This objective as a trait object.
    fn as_dyn(&mut self) -> &mut dyn Objective;
}

/// An objective given only as a loss function of a parameter slice, the way
/// a user with their own model plugs it in. It has no gradient, so only the
/// perturbation rules can train it.
pub struct FnObjective<F> {
    params: Vec<f64>,
    loss: F,
    forward_flops: u64,
}

impl<F: FnMut(&[f64]) -> f64 + Send> FnObjective<F> {
    /// Starts at `params`; `forward_flops` is what one call of `loss` costs
    /// (0 if unknown).
    pub fn new(params: Vec<f64>, loss: F, forward_flops: u64) -> Self {
        Self {
            params,
            loss,
            forward_flops,
        }
    }
}

impl<F: FnMut(&[f64]) -> f64 + Send> Objective for FnObjective<F> {
    fn params(&self) -> &[f64] {
        &self.params
    }
    fn params_mut(&mut self) -> &mut [f64] {
        &mut self.params
    }
    fn loss(&mut self) -> f64 {
        (self.loss)(&self.params)
    }
    fn loss_and_gradient(&mut self, _grad: &mut [f64]) -> Option<f64> {
        None
    }
    fn as_dyn(&mut self) -> &mut dyn Objective {
        self
    }
    fn cost(&self) -> PassCost {
        PassCost {
            forward_flops: self.forward_flops,
            backward_flops: 0,
        }
    }
}

/// An MLP on a fixed (full) batch.
#[derive(Clone)]
pub struct MlpObjective {
    net: Mlp<f64>,
    inputs: Mat<f64>,
    targets: Mat<f64>,
    loss: Loss,
    ws: MlpWorkspace<f64>,
}

impl MlpObjective {
    /// Checks the shapes once; later evaluations allocate nothing.
    pub fn new(
        net: Mlp<f64>,
        inputs: Mat<f64>,
        targets: Mat<f64>,
        loss: Loss,
    ) -> Result<Self, NetError> {
        let mut ws = MlpWorkspace::new(&net, inputs.nrows());
        net.loss(inputs.as_ref(), targets.as_ref(), loss, &mut ws)?;
        Ok(Self {
            net,
            inputs,
            targets,
            loss,
            ws,
        })
    }

    /// The network.
    pub fn net(&self) -> &Mlp<f64> {
        &self.net
    }

    /// The network's outputs on the batch, one row per sample, in the
    /// workspace (no allocation); `None` if the forward pass fails.
    pub fn outputs(&mut self) -> Option<MatRef<'_, f64>> {
        self.net.forward(self.inputs.as_ref(), &mut self.ws).ok()
    }
}

impl Objective for MlpObjective {
    fn params(&self) -> &[f64] {
        self.net.params()
    }
    fn params_mut(&mut self) -> &mut [f64] {
        self.net.params_mut()
    }
    fn loss(&mut self) -> f64 {
        self.net
            .loss(
                self.inputs.as_ref(),
                self.targets.as_ref(),
                self.loss,
                &mut self.ws,
            )
            .unwrap_or(f64::NAN)
    }
    fn loss_and_gradient(&mut self, grad: &mut [f64]) -> Option<f64> {
        Some(
            self.net
                .loss_and_gradient(
                    self.inputs.as_ref(),
                    self.targets.as_ref(),
                    self.loss,
                    &mut self.ws,
                    grad,
                )
                .unwrap_or(f64::NAN),
        )
    }
    fn as_dyn(&mut self) -> &mut dyn Objective {
        self
    }
    fn cost(&self) -> PassCost {
        let c = self.net.cost(self.inputs.nrows(), self.loss);
        PassCost {
            forward_flops: c.forward_flops,
            backward_flops: c.backward_flops,
        }
    }
}

/// An Elman RNN on one teacher-forced training sequence, with a washout.
#[derive(Clone)]
pub struct RnnObjective {
    net: Rnn<f64>,
    inputs: Mat<f64>,
    targets: Mat<f64>,
    washout: usize,
    bptt: Bptt,
    ws: RnnWorkspace<f64>,
    grad_ws: Option<RnnGradWorkspace<f64>>,
}

impl RnnObjective {
    /// Checks the shapes once. The BPTT workspace is built on the first
    /// gradient request, so a perturbation-trained run never holds it.
    pub fn new(
        net: Rnn<f64>,
        inputs: Mat<f64>,
        targets: Mat<f64>,
        washout: usize,
        bptt: Bptt,
    ) -> Result<Self, NetError> {
        let mut ws = RnnWorkspace::new(&net);
        net.loss(inputs.as_ref(), targets.as_ref(), washout, &mut ws)?;
        Ok(Self {
            net,
            inputs,
            targets,
            washout,
            bptt,
            ws,
            grad_ws: None,
        })
    }

    /// The network.
    pub fn net(&self) -> &Rnn<f64> {
        &self.net
    }
}

impl Objective for RnnObjective {
    fn params(&self) -> &[f64] {
        self.net.params()
    }
    fn params_mut(&mut self) -> &mut [f64] {
        self.net.params_mut()
    }
    fn loss(&mut self) -> f64 {
        self.net
            .loss(
                self.inputs.as_ref(),
                self.targets.as_ref(),
                self.washout,
                &mut self.ws,
            )
            .unwrap_or(f64::NAN)
    }
    fn loss_and_gradient(&mut self, grad: &mut [f64]) -> Option<f64> {
        let net = &self.net;
        let ws = self
            .grad_ws
            .get_or_insert_with(|| RnnGradWorkspace::new(net, self.inputs.nrows(), self.bptt));
        Some(
            self.net
                .loss_and_gradient(
                    self.inputs.as_ref(),
                    self.targets.as_ref(),
                    self.washout,
                    self.bptt,
                    ws,
                    grad,
                )
                .unwrap_or(f64::NAN),
        )
    }
    fn as_dyn(&mut self) -> &mut dyn Objective {
        self
    }
    fn cost(&self) -> PassCost {
        let c = self.net.cost(self.inputs.nrows(), self.washout, self.bptt);
        PassCost {
            forward_flops: c.forward_flops,
            backward_flops: c.backward_flops,
        }
    }
}
