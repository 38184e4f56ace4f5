//! Cost accounting: parameter counts, FLOPs of forward and backward passes,
//! and the memory the passes keep.
//!
//! # Convention
//!
//! * A multiply-add in a matrix product counts as **2 FLOPs**
//!   (an `m x k` by `k x n` product costs `2 m k n`).
//! * Every other elementwise operation counts as **1 FLOP per element and
//!   operation**: a bias addition, an activation (tanh, sigmoid and ReLU all
//!   count 1; identity counts 0), a subtraction, a scaling.
//! * Multiplying by an activation's derivative counts **2** per element
//!   (derive from the output, multiply); 0 for identity.
//! * Loss terms: MSE counts 3 per output element (subtract, square,
//!   accumulate); binary cross-entropy counts 8.
//! * Transcendental functions (exp, ln, tanh) count 1, like any other
//!   operation; the figures measure arithmetic work, not cycles.
//!
//! The formulas mirror exactly what the code executes (for example, an RNN
//! computes its output only on steps that enter the loss), and tests check
//! them against hand computations.

/// The cost of one model evaluation, as reported by `Mlp::cost` and
/// `Rnn::cost`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cost {
    /// Number of trainable parameters (the length of the flat vector).
    pub params: usize,
    /// FLOPs of one forward pass that ends in a loss value.
    pub forward_flops: u64,
    /// FLOPs of one backward pass (backprop / BPTT), *excluding* the forward
    /// pass that precedes it: a gradient evaluation costs
    /// `forward_flops + backward_flops`.
    pub backward_flops: u64,
    /// Bytes of working memory a forward (loss-only) pass uses beyond the
    /// parameters and the caller's data.
    pub forward_bytes: u64,
    /// Bytes of activations and scratch a backward pass keeps (the whole
    /// gradient workspace, excluding the gradient vector itself).
    pub backward_bytes: u64,
}

/// The cost of one Dopamine-3 sweep (`Rnn::node_sweep_cost`,
/// `Mlp::node_sweep_cost`): two copies in lockstep plus the eligibility
/// arithmetic of `dopamine-core`'s rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeCost {
    /// Forward passes a sweep counts as: 2 (one per copy).
    pub passes: u64,
    /// FLOPs of both copies' forward passes, noise additions and
    /// presynaptic means included.
    pub forward_flops: u64,
    /// FLOPs of the eligibility arithmetic and the updates, as the rule
    /// counts them (`Dopamine3Config::sequence_flops`).
    pub eligibility_flops: u64,
    /// Noise values generated (`N` per step; not counted as FLOPs).
    pub noise_values: u64,
}
