//! `dopamine-nets`: the models the optimizers train (work in progress; see issue 3).
//!
//! This crate will hold a multi-layer perceptron and an Elman RNN on `faer`
//! matrices, each with one flat parameter vector, allocation-free forward
//! passes and backprop / BPTT for the gradient baselines. It has no
//! functionality yet.
