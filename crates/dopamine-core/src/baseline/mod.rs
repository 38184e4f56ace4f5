//! Gradient-based baselines: SGD with momentum and Adam, over slices with caller-provided state.

pub mod adam;
pub mod sgd;

use crate::error::{Error, check_len};
use crate::real::Real;

/// Checks that every buffer has the parameters' length and the gradient is finite.
pub(crate) fn check_step<T: Real>(params: &[T], grads: &[T], state: &[&[T]]) -> Result<(), Error> {
    if params.is_empty() {
        return Err(Error::EmptyParameters);
    }
    check_len(params.len(), grads.len())?;
    for s in state {
        check_len(params.len(), s.len())?;
    }
    if grads.iter().any(|g| !g.is_finite()) {
        return Err(Error::NonFiniteGradient);
    }
    Ok(())
}
