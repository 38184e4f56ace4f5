//! The one list of the lab's experiments: `reproduce` runs, reports and judges them in this order. Adding an experiment is its own folder plus one line here.

use super::cost::E4;
use super::experiment::AnyExperiment;
use super::forecast::{E2, E3};
use super::scaling::E5;
use super::xor::E1;

/// Every experiment `cargo xtask reproduce` runs, in order.
pub static EXPERIMENTS: &[&dyn AnyExperiment] = &[&E1, &E2, &E3, &E4, &E5];
