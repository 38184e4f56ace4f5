//! [`MlpObjective`]: a `dopamine-nets` MLP on a fixed (full) batch.

use dopamine_nets::{Loss, Mlp, MlpWorkspace, NetError, Scalar};
use faer::{Mat, MatRef};

use super::scratch_copy::ScratchCopy;
use crate::objective::{Objective, PassCost};

/// An MLP on a fixed (full) batch.
#[derive(Clone)]
pub struct MlpObjective<T: Scalar> {
    net: Mlp<T>,
    inputs: Mat<T>,
    targets: Mat<T>,
    loss: Loss,
    ws: MlpWorkspace<T>,
    copy: ScratchCopy<Mlp<T>>,
}

impl<T: Scalar> MlpObjective<T> {
    /// Checks the shapes once; later evaluations allocate nothing.
    pub fn new(net: Mlp<T>, inputs: Mat<T>, targets: Mat<T>, loss: Loss) -> Result<Self, NetError> {
        let mut ws = MlpWorkspace::new(&net, inputs.nrows());
        net.loss(inputs.as_ref(), targets.as_ref(), loss, &mut ws)?;
        Ok(Self {
            net,
            inputs,
            targets,
            loss,
            ws,
            copy: ScratchCopy::new(),
        })
    }

    /// The network.
    pub fn net(&self) -> &Mlp<T> {
        &self.net
    }

    /// The network's outputs on the batch, one row per sample, in the
    /// workspace (no allocation); `None` if the forward pass fails.
    pub fn outputs(&mut self) -> Option<MatRef<'_, T>> {
        self.net.forward(self.inputs.as_ref(), &mut self.ws).ok()
    }
}

impl<T: Scalar> Objective<T> for MlpObjective<T> {
    fn params(&self) -> &[T] {
        self.net.params()
    }
    fn params_mut(&mut self) -> &mut [T] {
        self.net.params_mut()
    }
    fn loss(&mut self) -> T {
        self.net
            .loss(
                self.inputs.as_ref(),
                self.targets.as_ref(),
                self.loss,
                &mut self.ws,
            )
            .unwrap_or(T::from_f64(f64::NAN))
    }
    fn loss_at(&mut self, params: &[T]) -> T {
        if params.len() != self.net.num_params() {
            return T::from_f64(f64::NAN);
        }
        let (inputs, targets, loss, ws) = (
            self.inputs.as_ref(),
            self.targets.as_ref(),
            self.loss,
            &mut self.ws,
        );
        self.copy
            .loss_at(&self.net, params, Mlp::params_mut, |net| {
                net.loss(inputs, targets, loss, ws)
            })
            .unwrap_or(T::from_f64(f64::NAN))
    }
    fn loss_and_gradient(&mut self, grad: &mut [T]) -> Option<T> {
        Some(
            self.net
                .loss_and_gradient(
                    self.inputs.as_ref(),
                    self.targets.as_ref(),
                    self.loss,
                    &mut self.ws,
                    grad,
                )
                .unwrap_or(T::from_f64(f64::NAN)),
        )
    }
    fn cost(&self) -> PassCost {
        let c = self.net.cost(self.inputs.nrows(), self.loss);
        PassCost {
            forward_flops: c.forward_flops,
            backward_flops: c.backward_flops,
        }
    }
}
