//! XOR with an MLP 2-4-1: WP, Dopamine-1 and Adam over 20 seeds, success rate and passes to solve.
//!
//! Run: `cargo run --release -p dopamine-bench --example xor`

use dopamine_bench::experiments::xor::run_one;
use dopamine_train::{OptimizerSpec, PerturbSpec};

fn main() -> Result<(), dopamine_bench::BenchError> {
    let perturb = |eta| PerturbSpec {
        sigma: 0.01,
        eta,
        probes: 1,
        antithetic: false,
        cosine_to: None,
    };
    let specs = [
        OptimizerSpec::Wp(perturb(1.0)),
        OptimizerSpec::Dopamine1 {
            perturb: perturb(0.3),
            beta: 0.9,
        },
        OptimizerSpec::Adam { lr: 0.3 },
    ];
    for spec in specs {
        let mut solved = Vec::new();
        for seed in 0..20 {
            let (run, _) = run_one(4, &spec, seed, 5_000, None)?;
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
