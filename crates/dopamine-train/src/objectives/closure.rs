//! [`FnObjective`]: a user's model given only as a loss function of a parameter slice.

use dopamine_nets::Scalar;

use crate::objective::{Objective, PassCost};

/// An objective given only as a loss function of a parameter slice, the way
/// a user with their own model plugs it in. It has no gradient, so only the
/// perturbation rules can train it.
pub struct FnObjective<T, F> {
    params: Vec<T>,
    loss: F,
    forward_flops: u64,
}

impl<T: Scalar, F: FnMut(&[T]) -> T + Send> FnObjective<T, F> {
    /// Starts at `params`; `forward_flops` is what one call of `loss` costs
    /// (0 if unknown).
    pub fn new(params: Vec<T>, loss: F, forward_flops: u64) -> Self {
        Self {
            params,
            loss,
            forward_flops,
        }
    }
}

impl<T: Scalar, F: FnMut(&[T]) -> T + Send> Objective<T> for FnObjective<T, F> {
    fn params(&self) -> &[T] {
        &self.params
    }
    fn params_mut(&mut self) -> &mut [T] {
        &mut self.params
    }
    fn loss(&mut self) -> T {
        (self.loss)(&self.params)
    }
    fn loss_at(&mut self, params: &[T]) -> T {
        (self.loss)(params)
    }
    fn cost(&self) -> PassCost {
        PassCost {
            forward_flops: self.forward_flops,
            backward_flops: 0,
        }
    }
}
