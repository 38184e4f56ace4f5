//! The Rust side of the Python overhead measurement: one Dopamine-1 step through the kernel alone, timed per round trip.
//!
//! `bench/overhead.py` runs this binary and the same steps through the
//! Python bindings, alternating, in one run on one machine, and reports the
//! medians and their ratio. Usage:
//!
//! ```sh
//! cargo run --release -p dopamine-py --example overhead -- <P> <forward|antithetic> <K> <population|one_point> <samples> <reps>
//! ```
//!
//! It prints one JSON object: the settings and `samples_ns`, the time of
//! one round trip (one whole step) in each sample, averaged over `reps`
//! round trips. Population: `plan`, every point built into one
//! `(n_points, P)` buffer with `build_point`, `tell_all`. One point: `ask`
//! and `tell` for each of the step's points. The losses are a fixed formula
//! of the step and the point (no model is evaluated), the same in Python.

use std::hint::black_box;
use std::time::Instant;

use dopamine_core::{Dopamine1, Dopamine1Rule, PerturbConfig, RpeMode};

/// The loss handed back for point `e` of step `step` (the Python side uses
/// the same formula).
fn loss(step: u64, e: usize) -> f64 {
    1.0 + 1e-3 * ((e as u64 * 7 + step) % 11) as f64
}

fn usage() -> ! {
    eprintln!(
        "usage: overhead <P> <forward|antithetic> <K> <population|one_point> <samples> <reps>"
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 6 {
        usage();
    }
    let p: usize = args[0].parse().unwrap_or_else(|_| usage());
    let rpe = match args[1].as_str() {
        "forward" => RpeMode::Forward,
        "antithetic" => RpeMode::Antithetic,
        _ => usage(),
    };
    let k: usize = args[2].parse().unwrap_or_else(|_| usage());
    let population = match args[3].as_str() {
        "population" => true,
        "one_point" => false,
        _ => usage(),
    };
    let samples: usize = args[4].parse().unwrap_or_else(|_| usage());
    let reps: usize = args[5].parse().unwrap_or_else(|_| usage());

    let config = PerturbConfig::<f64> {
        sigma: 1e-3,
        eta: 1e-3,
        probes: k,
        rpe,
        seed: 1,
        ..Default::default()
    };
    let mut opt = Dopamine1::new(config, Dopamine1Rule::default(), p).unwrap_or_else(|e| {
        eprintln!("invalid settings: {e}");
        std::process::exit(2)
    });
    let n_points = config.forward_passes_per_step() as usize;
    let mut w: Vec<f64> = (0..p).map(|i| ((i % 13) as f64 - 6.0) * 0.01).collect();
    let mut points = vec![0.0f64; n_points * p];
    let mut base = vec![0.0f64; p];
    let mut losses = vec![0.0f64; n_points];

    let mut round_trip = |opt: &mut Dopamine1<f64>, w: &mut Vec<f64>| {
        let step = opt.step_index();
        if population {
            let plan = opt.plan(w).expect("finite parameters");
            base.copy_from_slice(w);
            for (e, row) in points.chunks_exact_mut(p).enumerate() {
                plan.build_point(e, &mut base, row).expect("right lengths");
            }
            for (e, l) in losses.iter_mut().enumerate() {
                *l = loss(step, e);
            }
            let outcome = opt.tell_all(w, black_box(&losses)).expect("planned");
            black_box(&outcome);
        } else {
            for e in 0..n_points {
                opt.ask(w).expect("finite parameters");
                let told = opt.tell(w, black_box(loss(step, e))).expect("asked");
                black_box(&told);
            }
        }
    };

    // One warm-up round trip (page faults of the buffers, caches).
    round_trip(&mut opt, &mut w);
    let mut samples_ns = Vec::with_capacity(samples);
    for _ in 0..samples {
        let start = Instant::now();
        for _ in 0..reps {
            round_trip(&mut opt, &mut w);
        }
        samples_ns.push(start.elapsed().as_nanos() as f64 / reps as f64);
    }
    println!(
        "{{\"P\": {p}, \"rpe\": \"{}\", \"K\": {k}, \"interface\": \"{}\", \"n_points\": {n_points}, \"reps\": {reps}, \"samples_ns\": {:?}}}",
        args[1], args[3], samples_ns
    );
}
