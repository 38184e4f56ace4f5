//! Runs Dopamine-1 steps (RNN H = 64, T = 1000) in a loop, for a profiler: `perf record` or `valgrind --tool=callgrind`.
//!
//! `cargo run --release -p dopamine-bench --example step_profile -- [steps] [forward]`:
//! with `forward` it runs plain forward passes instead, the reference of B2.

use dopamine_bench::{Objective, Optimizer, OptimizerSpec, PerturbSpec, RnnObjective};
use dopamine_nets::{Bptt, Rnn, RnnInit};
use faer::Mat;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let steps: u64 = args.first().map_or(Ok(500), |s| s.parse())?;
    let forward_only = args.get(1).is_some_and(|s| s == "forward");
    let t = 1000;
    let x = |i: usize| (0.1 * i as f64).sin() + 0.5 * (0.031 * i as f64).sin();
    let inputs = Mat::from_fn(t, 1, |i, _| x(i));
    let targets = Mat::from_fn(t, 1, |i, _| x(i + 1));
    let net = Rnn::new(1, 64, 1, &RnnInit::with_seed(1))?;
    let mut obj = RnnObjective::new(net, inputs, targets, 0, Bptt::Full)?;
    let spec = OptimizerSpec::Dopamine1 {
        perturb: PerturbSpec {
            sigma: 1e-3,
            eta: 1e-3,
            probes: 1,
            antithetic: false,
            cosine_to: None,
        },
        beta: 0.9,
    };
    let mut opt = Optimizer::new(spec, obj.params().len(), 1, steps)?;
    let started = std::time::Instant::now();
    let mut last = 0.0;
    for _ in 0..steps {
        last = if forward_only {
            obj.loss()
        } else {
            opt.step(&mut obj)?.loss
        };
    }
    let per = started.elapsed().as_secs_f64() / steps as f64;
    println!(
        "{steps} iterations, {:.3} ms each, last loss {last}",
        per * 1e3
    );
    Ok(())
}
