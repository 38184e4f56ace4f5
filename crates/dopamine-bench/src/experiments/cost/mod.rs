//! E4: time, FLOPs and memory per training step against hidden size H and sequence length T, Dopamine-1 against Adam-BPTT.

mod config;
mod experiment;
mod report;
mod run;

pub use config::{CONFIG, CostConfig, Precision};
pub use experiment::{Cost, E4};
pub use run::{BATCHED, CostPoint, CostSweeps, StepShape, compared, run, sine_sequence};
