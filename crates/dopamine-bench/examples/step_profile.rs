//! Runs Dopamine-1 steps (RNN H = 64, T = 1000) in a loop, for a profiler: `perf record` or `valgrind --tool=callgrind`.
//!
//! `cargo run --release -p dopamine-bench --example step_profile -- [steps] [MODE] [K]`:
//! `MODE` is `step` (default), `forward` (plain forward passes, the reference
//! of B2), or `pool1` / `pool2` (steps with the probes on a 1- or 2-thread
//! [`ProbePool`](dopamine_train::ProbePool)); `K` probes per step (default 1).

use dopamine_nets::{Bptt, Rnn, RnnInit};
use dopamine_train::{Dopamine1Settings, Objective, OptimizerSpec, ProbePool, RnnObjective};
use faer::Mat;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let steps: u64 = args.first().map_or(Ok(500), |s| s.parse())?;
    let mode = args.get(1).map_or("step", String::as_str);
    let probes: usize = args.get(2).map_or(Ok(1), |s| s.parse())?;
    let t = 1000;
    let x = |i: usize| (0.1 * i as f64).sin() + 0.5 * (0.031 * i as f64).sin();
    let inputs = Mat::from_fn(t, 1, |i, _| x(i));
    let targets = Mat::from_fn(t, 1, |i, _| x(i + 1));
    let net = Rnn::new(1, 64, 1, &RnnInit::with_seed(1))?;
    let mut obj = RnnObjective::new(net, inputs, targets, 0, Bptt::Full)?;
    let spec = OptimizerSpec::Dopamine1(Dopamine1Settings {
        sigma: 1e-3,
        eta: 1e-3,
        probes,
        beta: 0.9,
        ..Default::default()
    });
    let mut opt = spec.build::<f64>(obj.params().len(), 1, steps)?;
    let threads = match mode {
        "pool1" => 1,
        _ => 2,
    };
    let mut pool = ProbePool::new(&obj, threads)?;
    let started = std::time::Instant::now();
    let mut last = 0.0;
    for _ in 0..steps {
        last = match mode {
            "forward" => obj.loss(),
            "pool1" | "pool2" => pool.step(opt.as_mut(), &mut obj)?.loss,
            _ => opt.step(&mut obj)?.loss,
        };
    }
    let per = started.elapsed().as_secs_f64() / steps as f64;
    println!(
        "{steps} iterations, {:.3} ms each, last loss {last}",
        per * 1e3
    );
    Ok(())
}
