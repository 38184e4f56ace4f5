//! What the training-step benchmarks share: the RNN objective they train (a sine sequence, 1-D input and output) and the two optimizers they compare.

use dopamine_nets::{Bptt, Rnn, RnnInit};
use dopamine_train::{AdamSettings, Dopamine1Settings, OptimizerSpec, RnnObjective};

use crate::error::BenchError;
use crate::experiments::cost::sine_sequence;

/// An RNN with `hidden` units (seed 1) on the sine sequence of length `seq_len`, in `f64`.
pub(super) fn rnn_objective(
    hidden: usize,
    seq_len: usize,
) -> Result<RnnObjective<f64>, BenchError> {
    let (inputs, targets) = sine_sequence(seq_len);
    let net = Rnn::new(1, hidden, 1, &RnnInit::with_seed(1))?;
    Ok(RnnObjective::new(net, inputs, targets, 0, Bptt::Full)?)
}

/// Dopamine-1 with `probes` forward probes (sigma = eta = 1e-3; the rates do not affect cost).
pub(super) fn dopamine1(probes: usize) -> OptimizerSpec {
    OptimizerSpec::Dopamine1(Dopamine1Settings {
        sigma: 1e-3,
        eta: 1e-3,
        probes,
        beta: 0.9,
        ..Default::default()
    })
}

/// Adam with BPTT (the rate does not affect cost).
pub(super) fn adam() -> OptimizerSpec {
    OptimizerSpec::Adam(AdamSettings { lr: 1e-4 })
}
