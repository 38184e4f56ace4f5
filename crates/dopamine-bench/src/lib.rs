//! `dopamine-bench`: training harness and experiments (work in progress; see issue 5).
//!
//! This crate will hold the training loop that runs any optimizer on any model
//! and task, the experiment configs, the report writer, plots and checkpoints.
//! It has no functionality yet.
