//! E1: XOR with an MLP 2-H-1 (tanh hidden, sigmoid output, MSE, full batch) over many seeds.

mod config;
mod experiment;
mod report;
mod run;

pub use config::{CONFIG, XorConfig};
pub use experiment::{E1, Xor};
pub use report::XorSummary;
pub use run::{XorResult, XorRun, run, run_count, run_one, run_one_with, steps_for};
