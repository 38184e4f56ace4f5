//! XOR with an MLP 2-4-1: WP, Dopamine-1 and Adam over 20 seeds, success rate and passes to solve.
//!
//! Run: `cargo run --release -p dopamine-bench --example xor`

use dopamine_bench::experiments::xor::run_one;
use dopamine_train::{AdamSettings, Dopamine1Settings, OptimizerSpec, WpSettings};

fn main() -> Result<(), dopamine_bench::BenchError> {
    let specs = [
        OptimizerSpec::Wp(WpSettings {
            sigma: 0.01,
            eta: 1.0,
            ..Default::default()
        }),
        OptimizerSpec::Dopamine1(Dopamine1Settings {
            sigma: 0.01,
            eta: 0.3,
            beta: 0.9,
            ..Default::default()
        }),
        OptimizerSpec::Adam(AdamSettings { lr: 0.3 }),
    ];
    for spec in specs {
        let mut solved = Vec::new();
        for seed in 0..20 {
            let (run, _) = run_one::<f32>(4, &spec, seed, 5_000, None)?;
            if let Some(p) = run.passes_to_solve {
                solved.push(p);
            }
        }
        solved.sort_unstable();
        let median = solved.get(solved.len() / 2).copied();
        println!(
            "{:<11} {}  solved {}/20, median forward-pass equivalents {:?}",
            spec.name(),
            spec.describe(),
            solved.len(),
            median
        );
    }
    Ok(())
}
