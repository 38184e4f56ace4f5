//! `dopamine-tasks`: the data the experiments run on (work in progress; see issue 4).
//!
//! This crate will hold the XOR and parity data sets, the Mackey-Glass and
//! Lorenz-63 generators, time-ordered splits, normalisation, a CSV loader and
//! the forecasting metrics. It has no functionality yet.
