//! [`NodeModel`]: what Dopamine-3 needs from an objective — its neurons (a `dopamine-core` [`NodeLayout`]) and lockstep passes of two noisy copies over its data — and [`NodeStream`], the position in the data and the copies' hidden states, which the optimizer keeps (and checkpoints) between steps.

use dopamine_core::{Dopamine3, NodeLayout};
use dopamine_nets::{NodeSweep, Scalar};
use serde::{Deserialize, Serialize};

use crate::error::TrainError;

/// The rule as the trainer runs it: its state in a `Vec`.
pub type NodeRule<T> = Dopamine3<T, Vec<T>>;

/// Where a Dopamine-3 run is in its data between two steps: the next time
/// step of the training sequence (0: a new sweep starts there, both copies
/// at `h = 0`) and both copies' hidden states after the last step taken.
/// Owned by the optimizer, so a checkpoint taken mid-sequence holds it and
/// a resumed run continues bit for bit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NodeStream<T> {
    /// The next time step of the sequence (0 at the start of a sweep).
    pub position: usize,
    /// Copy A's hidden state (empty for a model without one).
    pub hidden_a: Vec<T>,
    /// Copy B's hidden state.
    pub hidden_b: Vec<T>,
}

/// What one part of a sweep did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodePart<T> {
    /// The lockstep pass's counts and the copies' shares of the sweep's loss.
    pub sweep: NodeSweep<T>,
    /// The unperturbed network's loss as the part saw it (the copies'
    /// mean, or the clean copy's), in the units of the model's loss: the
    /// mean over the part's scored steps. `None` when no step of the part
    /// was scored (all in the washout).
    pub loss: Option<f64>,
    /// The part ended the sweep (the stream is back at position 0).
    pub ended_sweep: bool,
}

/// A model whose neurons Dopamine-3 can perturb: the built-in RNN and MLP
/// objectives ([`crate::Objective::node_model`]).
pub trait NodeModel<T: Scalar> {
    /// The model as layers of neurons (the flat parameter layout).
    fn node_layout(&self) -> Result<NodeLayout, TrainError>;

    /// Time steps of one sweep over the training data (the sequence's
    /// length, or the MLP's batch: one pattern per step).
    fn sweep_len(&self) -> usize;

    /// Hidden units whose state carries from one time step to the next
    /// (0 for a feed-forward network).
    fn hidden_len(&self) -> usize;

    /// Runs the next part of the sweep from `stream`: at most `max_steps`
    /// time steps (a model without hidden state may run the whole sweep),
    /// applying every update that falls due to the model's weights and
    /// ending the sequence at the sweep's end; `stream` is advanced.
    /// Allocates nothing once `stream` holds [`NodeModel::hidden_len`]
    /// values per copy.
    fn node_part(
        &mut self,
        rule: &mut NodeRule<T>,
        stream: &mut NodeStream<T>,
        max_steps: usize,
    ) -> Result<NodePart<T>, TrainError>;
}
