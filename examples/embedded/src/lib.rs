//! On-device learning: `dopamine-core` trains small networks on a Cortex-M4F, without a heap.
//!
//! The library holds everything the two firmwares (`src/bin/xor.rs`,
//! `src/bin/rnn.rs`) share, and builds for the host too, where its unit tests
//! and the settings sweep (`examples/sweep.rs`) run:
//!
//! - [`xor`]: a 2-2-1 perceptron on XOR; [`rnn`]: an Elman RNN (H = 8)
//!   forecasting [`mackey_glass`] one step ahead, with the persistence
//!   baseline; each a fixed-size forward pass over a flat `[f32; P]`.
//! - [`train`]: the ask/tell loop with Dopamine-2, NaN injection and
//!   rejection counts; [`runs`]: the settings the firmware uses.
//! - [`rng`]: SplitMix64 for the initial weights.
//! - `board` (on the chip only): semihosting output and exit, the stack's
//!   high-water mark and the section sizes from the linker's symbols.
#![cfg_attr(not(test), no_std)]

#[cfg(all(target_arch = "arm", target_os = "none"))]
pub mod board;
pub mod mackey_glass;
pub mod online;
pub mod rng;
pub mod rnn;
pub mod runs;
pub mod train;
pub mod xor;
