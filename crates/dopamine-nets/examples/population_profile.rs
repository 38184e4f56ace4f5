//! Passes per second of the population paths against the same run's single forward pass: `cargo run --release -p dopamine-nets --example population_profile -- [pairs|sweep|all] [H ...]`.
//!
//! Every measurement runs on an `f32` Elman RNN with 1-D input and output
//! (the E2 network's shape) on a sequence of T = 1,499 steps, washout 0, and
//! is the median of interleaved samples of this thread's CPU time (see
//! `common`); the load average is printed. Hidden sizes default to 16, 64
//! and 256.
//!
//! * `pairs`: full-rank points `w +- sigma z` in lockstep
//!   (`Rnn::points_losses`) against the same points one by one
//!   (`Rnn::loss_at`), for 2 points (an antithetic pair) and the `2K`
//!   points of a K = 2, 4, 8, 16 step: passes per second per core and the
//!   ratio to the single-forward rate.
//! * `sweep`: B7's step (Dopamine-1, K = 16 antithetic, no baseline: 32
//!   points, rank-1 noise; `plan`, `Rnn::plan_losses`, `tell_all`) and the
//!   sweep alone, in single forward passes, against the same-run faer limit
//!   (faer's `H x H` by `H x 32` product plus `tanh` over `H x 32` values
//!   against `H x H` by `H x 1` plus `tanh`, per time step).
//! * `repeat H POINTS CALLS`, `repeat-sweep H CALLS`: only `CALLS`
//!   lockstep evaluations or B7 sweeps, for a profiler.

#[path = "common/timing.rs"]
mod common;

use std::hint::black_box;

use common::{Clock, interleaved_medians, load_average};
use dopamine_core::{
    BaselinePolicy, Dopamine1, Dopamine1Rule, NoiseStructure, PerturbConfig, RpeMode,
};
use dopamine_nets::{Rnn, RnnInit, RnnPopulationWorkspace, RnnWorkspace, tanh_in_place};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

const SEQ_LEN: usize = 1499;
const SAMPLES: usize = 7;
const MIN_SECONDS: f64 = 0.05;

/// The sequence and its one-step-ahead targets.
fn data() -> Vec<f32> {
    (0..=SEQ_LEN).map(|t| (0.1 * t as f32).sin()).collect()
}

/// `n` pseudo-Gaussian values (sum of uniforms; only the spread matters).
fn noise(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            let mut acc = 0.0f32;
            for _ in 0..4 {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                acc += (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            }
            acc * 1.7
        })
        .collect()
}

fn pairs(hidden: &[usize], clock: &Clock) {
    println!(
        "\n## Full-rank points in lockstep (T = {SEQ_LEN}, f32, {}, load {})\n",
        clock.name(),
        load_average()
    );
    println!(
        "|   H | points | forward us | lockstep us | one by one us | lockstep passes/s | lockstep / forward rate | one by one / forward rate |"
    );
    println!(
        "| --: | -----: | ---------: | ----------: | ------------: | ----------------: | ----: | ----: |"
    );
    let xs = data();
    let inputs = MatRef::from_column_major_slice(&xs[..SEQ_LEN], SEQ_LEN, 1);
    let targets = MatRef::from_column_major_slice(&xs[1..], SEQ_LEN, 1);
    for &h in hidden {
        let net = Rnn::<f32>::new(1, h, 1, &RnnInit::with_seed(1)).expect("net");
        let w = net.params().to_vec();
        for points in [2usize, 4, 8, 16, 32] {
            let built: Vec<Vec<f32>> = (0..points)
                .map(|e| {
                    let z = noise(w.len(), (e / 2) as u64);
                    let s = if e % 2 == 0 { 0.01 } else { -0.01 };
                    w.iter().zip(&z).map(|(w, z)| w + s * z).collect()
                })
                .collect();
            let refs: Vec<&[f32]> = built.iter().map(Vec::as_slice).collect();
            let mut ws = RnnWorkspace::new(&net);
            let mut ws1 = RnnWorkspace::new(&net);
            let mut pws = RnnPopulationWorkspace::new(&net);
            let mut losses = vec![0.0f32; points];
            let mut forward = || {
                black_box(net.loss_at(&w, black_box(inputs), targets, 0, &mut ws).ok());
            };
            let mut lockstep = || {
                black_box(
                    net.points_losses(&refs, black_box(inputs), targets, 0, &mut pws, &mut losses)
                        .ok(),
                );
            };
            let mut one_by_one = || {
                for p in &refs {
                    black_box(net.loss_at(p, black_box(inputs), targets, 0, &mut ws1).ok());
                }
            };
            let t = interleaved_medians(
                clock,
                SAMPLES,
                MIN_SECONDS,
                &mut [&mut forward, &mut lockstep, &mut one_by_one],
            );
            let rate = |secs: f64, n: usize| n as f64 / secs;
            println!(
                "| {h:>3} | {points:>6} | {:>10.1} | {:>11.1} | {:>13.1} | {:>17.0} | {:>5.2} | {:>5.2} |",
                t[0] * 1e6,
                t[1] * 1e6,
                t[2] * 1e6,
                rate(t[1], points),
                rate(t[1], points) / rate(t[0], 1),
                rate(t[2], points) / rate(t[0], 1),
            );
        }
    }
}

fn sweep(hidden: &[usize], clock: &Clock) {
    println!(
        "\n## B7's low-rank step (K = 16 antithetic, 32 points, rank 1; T = {SEQ_LEN}, f32, {}, load {})\n",
        clock.name(),
        load_average()
    );
    println!(
        "|   H | forward us | step / forward | sweep / forward | faer limit (x32 / x1) | step / limit |"
    );
    println!(
        "| --: | ---------: | -------------: | --------------: | --------------------: | -----------: |"
    );
    let xs = data();
    let inputs = MatRef::from_column_major_slice(&xs[..SEQ_LEN], SEQ_LEN, 1);
    let targets = MatRef::from_column_major_slice(&xs[1..], SEQ_LEN, 1);
    let points = 32;
    for &h in hidden {
        let net = Rnn::<f32>::new(1, h, 1, &RnnInit::with_seed(1)).expect("net");
        let config = PerturbConfig {
            sigma: 1e-2f32,
            eta: 1e-3,
            probes: 16,
            rpe: RpeMode::Antithetic,
            baseline: BaselinePolicy::FromProbes,
            structure: NoiseStructure::LowRank { rank: 1 },
            seed: 5,
            ..Default::default()
        };
        let mut opt = Dopamine1::with_layout(config, Dopamine1Rule::default(), net.param_layout(1))
            .expect("optimizer");
        let mut params = net.params().to_vec();
        let fixed = opt.plan(&params).expect("plan");
        let mut ws = RnnWorkspace::new(&net);
        let mut pws = RnnPopulationWorkspace::new(&net);
        let mut sweep_ws = RnnPopulationWorkspace::new(&net);
        let mut losses = vec![0.0f32; points];
        let mut sweep_losses = vec![0.0f32; points];
        let mut forward = || {
            black_box(net.loss(black_box(inputs), targets, 0, &mut ws).ok());
        };
        let mut step = || {
            let Ok(plan) = opt.plan(&params) else { return };
            if net
                .plan_losses(&params, &plan, inputs, targets, 0, &mut pws, &mut losses)
                .is_ok()
            {
                black_box(opt.tell_all(&mut params, &losses).ok());
            }
        };
        let w0 = net.params().to_vec();
        let mut sweep_only = || {
            black_box(
                net.plan_losses(
                    &w0,
                    &fixed,
                    inputs,
                    targets,
                    0,
                    &mut sweep_ws,
                    &mut sweep_losses,
                )
                .ok(),
            );
        };
        let w = net.w_hh();
        let (mut v1, mut n1) = (vec![0.1f32; h], vec![0.0f32; h]);
        let mut limit_single = || {
            for _ in 0..SEQ_LEN {
                matmul(
                    MatMut::from_column_major_slice_mut(&mut n1, h, 1),
                    Accum::Replace,
                    w,
                    MatRef::from_column_major_slice(&v1, h, 1),
                    1.0,
                    Par::Seq,
                );
                tanh_in_place(&mut n1);
                core::mem::swap(&mut v1, &mut n1);
            }
            black_box(&v1);
        };
        let (mut vb, mut nb) = (vec![0.1f32; h * points], vec![0.0f32; h * points]);
        let mut limit_batch = || {
            for _ in 0..SEQ_LEN {
                matmul(
                    MatMut::from_column_major_slice_mut(&mut nb, h, points),
                    Accum::Replace,
                    w,
                    MatRef::from_column_major_slice(&vb, h, points),
                    1.0,
                    Par::Seq,
                );
                tanh_in_place(&mut nb);
                core::mem::swap(&mut vb, &mut nb);
            }
            black_box(&vb);
        };
        let t = interleaved_medians(
            clock,
            SAMPLES,
            MIN_SECONDS,
            &mut [
                &mut forward,
                &mut step,
                &mut sweep_only,
                &mut limit_single,
                &mut limit_batch,
            ],
        );
        let limit = t[4] / t[3];
        println!(
            "| {h:>3} | {:>10.1} | {:>14.2} | {:>15.2} | {:>21.2} | {:>12.2} |",
            t[0] * 1e6,
            t[1] / t[0],
            t[2] / t[0],
            limit,
            t[1] / t[0] / limit
        );
    }
}

/// A fixed number of lockstep evaluations of `points` full-rank points at
/// hidden size `h`, for profilers (`perf record`, `valgrind --tool=callgrind`).
fn repeat_lockstep(h: usize, points: usize, calls: usize) {
    let xs = data();
    let inputs = MatRef::from_column_major_slice(&xs[..SEQ_LEN], SEQ_LEN, 1);
    let targets = MatRef::from_column_major_slice(&xs[1..], SEQ_LEN, 1);
    let net = Rnn::<f32>::new(1, h, 1, &RnnInit::with_seed(1)).expect("net");
    let w = net.params();
    let built: Vec<Vec<f32>> = (0..points)
        .map(|e| {
            let z = noise(w.len(), e as u64);
            w.iter().zip(&z).map(|(w, z)| w + 0.01 * z).collect()
        })
        .collect();
    let refs: Vec<&[f32]> = built.iter().map(Vec::as_slice).collect();
    let mut pws = RnnPopulationWorkspace::new(&net);
    let mut losses = vec![0.0f32; points];
    for _ in 0..calls {
        net.points_losses(&refs, black_box(inputs), targets, 0, &mut pws, &mut losses)
            .expect("losses");
    }
    println!("{losses:?}");
}

/// A fixed number of B7 sweeps (`Rnn::plan_losses`, K = 16 antithetic,
/// rank 1) at hidden size `h`, for profilers.
fn repeat_sweep(h: usize, calls: usize) {
    let xs = data();
    let inputs = MatRef::from_column_major_slice(&xs[..SEQ_LEN], SEQ_LEN, 1);
    let targets = MatRef::from_column_major_slice(&xs[1..], SEQ_LEN, 1);
    let net = Rnn::<f32>::new(1, h, 1, &RnnInit::with_seed(1)).expect("net");
    let config = PerturbConfig {
        sigma: 1e-2f32,
        probes: 16,
        rpe: RpeMode::Antithetic,
        baseline: BaselinePolicy::FromProbes,
        structure: NoiseStructure::LowRank { rank: 1 },
        seed: 5,
        ..Default::default()
    };
    let mut opt = Dopamine1::with_layout(config, Dopamine1Rule::default(), net.param_layout(1))
        .expect("optimizer");
    let plan = opt.plan(net.params()).expect("plan");
    let mut pws = RnnPopulationWorkspace::new(&net);
    let mut losses = vec![0.0f32; plan.len()];
    for _ in 0..calls {
        net.plan_losses(
            net.params(),
            &plan,
            black_box(inputs),
            targets,
            0,
            &mut pws,
            &mut losses,
        )
        .expect("losses");
    }
    println!("{losses:?}");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let what = args.first().map_or("all", String::as_str);
    if what == "repeat-sweep" {
        let n = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
        repeat_sweep(n(1, 16), n(2, 20));
        return;
    }
    if what == "repeat" {
        let n = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
        repeat_lockstep(n(1, 16), n(2, 4), n(3, 100));
        return;
    }
    let hidden: Vec<usize> = args.iter().skip(1).filter_map(|a| a.parse().ok()).collect();
    let hidden = if hidden.is_empty() {
        vec![16, 64, 256]
    } else {
        hidden
    };
    let clock = Clock::new();
    if matches!(what, "pairs" | "all") {
        pairs(&hidden, &clock);
    }
    if matches!(what, "sweep" | "all") {
        sweep(&hidden, &clock);
    }
}
