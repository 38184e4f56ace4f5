//! [`SequenceStream`]: where an online gradient run (truncated BPTT with an update every `C` time steps) is in an objective's training sequence, and the hidden state there; [`SequenceBlock`]: what one block's gradient reported.

use serde::{Deserialize, Serialize};

/// A position in an objective's training sequence and the hidden state
/// entering it, kept by the optimizer between steps (and in its saved
/// state, so a run checkpointed mid-sequence resumes bit for bit).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SequenceStream<T> {
    /// The next time step (0: a new pass over the sequence starts, `h = 0`).
    pub position: usize,
    /// The hidden state entering that step.
    pub hidden: Vec<T>,
}

/// What the gradient of one block of a sequence reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SequenceBlock<T> {
    /// The block's share of the sequence's loss (its scored steps'
    /// squared errors over the whole sequence's count).
    pub share: T,
    /// The mean loss over the block's scored steps, in the units of the
    /// whole sequence's loss; `None` when the block lies in the washout.
    pub loss: Option<f64>,
    /// The block ended the sequence (the stream is back at position 0).
    pub ended: bool,
}
