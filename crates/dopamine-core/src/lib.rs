//! `dopamine-core`: the `no_std`, allocation-free kernel of the Dopamine optimizer.
#![no_std]

pub mod real;

pub use real::Real;
