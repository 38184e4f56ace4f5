//! [`RnnObjective`]: a `dopamine-nets` Elman RNN on one teacher-forced training sequence, with a washout.

use dopamine_nets::{Bptt, NetError, Rnn, RnnGradWorkspace, RnnWorkspace, Scalar};
use faer::Mat;

use super::scratch_copy::ScratchCopy;
use crate::objective::{Objective, PassCost};

/// An Elman RNN on one teacher-forced training sequence, with a washout.
#[derive(Clone)]
pub struct RnnObjective<T: Scalar> {
    net: Rnn<T>,
    inputs: Mat<T>,
    targets: Mat<T>,
    washout: usize,
    bptt: Bptt,
    ws: RnnWorkspace<T>,
    grad_ws: Option<RnnGradWorkspace<T>>,
    copy: ScratchCopy<Rnn<T>>,
}

impl<T: Scalar> RnnObjective<T> {
    /// Checks the shapes once. The BPTT workspace is built on the first
    /// gradient request, so a perturbation-trained run never holds it.
    pub fn new(
        net: Rnn<T>,
        inputs: Mat<T>,
        targets: Mat<T>,
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
            copy: ScratchCopy::new(),
        })
    }

    /// The network.
    pub fn net(&self) -> &Rnn<T> {
        &self.net
    }
}

impl<T: Scalar> Objective<T> for RnnObjective<T> {
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
                self.washout,
                &mut self.ws,
            )
            .unwrap_or(T::from_f64(f64::NAN))
    }
    fn loss_at(&mut self, params: &[T]) -> T {
        if params.len() != self.net.num_params() {
            return T::from_f64(f64::NAN);
        }
        let (inputs, targets, washout, ws) = (
            self.inputs.as_ref(),
            self.targets.as_ref(),
            self.washout,
            &mut self.ws,
        );
        self.copy
            .loss_at(&self.net, params, Rnn::params_mut, |net| {
                net.loss(inputs, targets, washout, ws)
            })
            .unwrap_or(T::from_f64(f64::NAN))
    }
    fn loss_and_gradient(&mut self, grad: &mut [T]) -> Option<T> {
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
                .unwrap_or(T::from_f64(f64::NAN)),
        )
    }
    fn cost(&self) -> PassCost {
        let c = self.net.cost(self.inputs.nrows(), self.washout, self.bptt);
        PassCost {
            forward_flops: c.forward_flops,
            backward_flops: c.backward_flops,
        }
    }
}
