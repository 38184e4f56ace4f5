//! Times a population step (plan, `Rnn::plan_losses`, `tell_all`) against single forward passes, for profiling: `cargo run --release -p dopamine-nets --example population_profile -- H [lowrank|full] [reps] [both|forward|step]`.
//!
//! With `forward` or `step` only that part runs, so `perf stat -e task-clock`
//! can compare CPU times on a busy machine.

use std::time::Instant;

use dopamine_core::{
    BaselinePolicy, Dopamine1, Dopamine1Rule, NoiseStructure, ParamLayout, PerturbConfig, RpeMode,
};
use dopamine_nets::{Rnn, RnnInit, RnnPopulationWorkspace, RnnWorkspace};
use faer::MatRef;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let h: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(64);
    let low_rank = args.get(1).is_none_or(|a| a != "full");
    let reps: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(20);
    let what = args.get(3).map_or("both", String::as_str);
    let (run_forward, run_step) = (what != "step", what != "forward");
    let len = 1000;
    let mut net = Rnn::<f32>::new(1, h, 1, &RnnInit::with_seed(1)).expect("net");
    let xs: Vec<f32> = (0..=len).map(|t| (0.1 * t as f32).sin()).collect();
    let x = MatRef::from_row_major_slice(&xs[..len], len, 1);
    let y = MatRef::from_row_major_slice(&xs[1..], len, 1);
    let config = PerturbConfig {
        sigma: 1e-2f32,
        eta: 1e-3,
        probes: 16,
        rpe: RpeMode::Antithetic,
        baseline: BaselinePolicy::FromProbes,
        structure: if low_rank {
            NoiseStructure::LowRank { rank: 1 }
        } else {
            NoiseStructure::Full
        },
        seed: 5,
        ..Default::default()
    };
    let layout = if low_rank {
        net.param_layout(1)
    } else {
        ParamLayout::flat(net.num_params()).expect("layout")
    };
    let mut opt = Dopamine1::with_layout(config, Dopamine1Rule::default(), layout).expect("opt");
    let mut ws = RnnWorkspace::new(&net);
    let mut pws = RnnPopulationWorkspace::new(&net);
    let mut losses = vec![0.0f32; 32];
    let (mut forward, mut step, mut tell) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..reps {
        let t0 = Instant::now();
        if run_forward {
            let l = net.loss(x, y, 0, &mut ws).expect("loss");
            std::hint::black_box(l);
        }
        forward.push(t0.elapsed().as_secs_f64());
        if !run_step {
            step.push(0.0);
            continue;
        }
        let t0 = Instant::now();
        let params = net.params().to_vec();
        let plan = opt.plan(&params).expect("plan");
        net.plan_losses(&params, &plan, x, y, 0, &mut pws, &mut losses)
            .expect("losses");
        let t1 = Instant::now();
        let _ = opt.tell_all(net.params_mut(), &losses).expect("tell");
        step.push(t0.elapsed().as_secs_f64());
        tell.push((Instant::now() - t1).as_secs_f64());
    }
    forward.sort_by(f64::total_cmp);
    step.sort_by(f64::total_cmp);
    tell.sort_by(f64::total_cmp);
    if !tell.is_empty() {
        println!("tell_all {:.1} us", tell[tell.len() / 2] * 1e6);
    }
    let (f, s) = (forward[reps / 2], step[reps / 2]);
    println!(
        "H={h} {}: forward {:.1} us, step (32 points + update) {:.1} us, ratio {:.2} ({:.3} forward per point)",
        if low_rank {
            "low-rank r=1"
        } else {
            "full-rank lockstep"
        },
        f * 1e6,
        s * 1e6,
        s / f,
        s / f / 32.0
    );
}
