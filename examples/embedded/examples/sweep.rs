//! Host sweep that chose the firmware's seeds and learning rates: success rate and cost over many seeds.
//!
//! Runs the firmware's own training code (`dopamine_embedded::runs`) on the
//! host, where `f32` arithmetic and `libm` give the same results as on the
//! chip, over a grid of settings and seeds:
//!
//! ```sh
//! cargo run --release --features sweep --example sweep --target "$(rustc -vV | sed -n 's/host: //p')" -- xor 200
//! cargo run --release --features sweep --example sweep --target "$(rustc -vV | sed -n 's/host: //p')" -- rnn 20
//! ```
//!
//! Seed `s` is used for both the initial weights and the noise. The
//! firmware's chosen settings are marked with `*`.

use std::env;
use std::process::ExitCode;
use std::thread;

use dopamine_embedded::rnn;
use dopamine_embedded::rnn::StopRule;
use dopamine_embedded::runs::{self, RNN, RNN_STOP, Settings, XOR};
use dopamine_embedded::train::NoClock;

/// Per-seed result: solved, steps, loss evaluations, and a score (test NRMSE
/// over persistence's for the RNN, final loss for XOR).
type Run = (bool, u64, u64, f32);

fn median(mut v: Vec<u64>) -> Option<u64> {
    v.sort_unstable();
    (!v.is_empty()).then(|| v[v.len() / 2])
}

fn over_seeds(seeds: u64, inject: bool, run: impl Fn(u64, bool) -> Run + Sync) -> Vec<Run> {
    let threads = thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let run = &run;
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..seeds)
                        .step_by(threads as usize)
                        .map(|s| (s, run(s, inject)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(u64, Run)> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect();
        all.sort_by_key(|r| r.0);
        all.into_iter().map(|r| r.1).collect()
    })
}

fn report(label: &str, chosen: bool, runs: &[Run]) {
    let solved: Vec<&Run> = runs.iter().filter(|r| r.0).collect();
    let failed: Vec<usize> = runs
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.0)
        .map(|(i, _)| i)
        .collect();
    let steps = median(solved.iter().map(|r| r.1).collect());
    let evals = median(solved.iter().map(|r| r.2).collect());
    let max_steps = solved.iter().map(|r| r.1).max();
    let within = |n: u64| solved.iter().filter(|r| r.1 <= n).count();
    let mean_score = runs.iter().map(|r| f64::from(r.3)).sum::<f64>() / runs.len() as f64;
    println!(
        "{}{label:<44} solved {:>3}/{:<3} median steps {:>6} (max {:>6}) median evals {:>6} within 250/500/1000 steps {}/{}/{} mean score {:.4} failed seeds {:?}",
        if chosen { "*" } else { " " },
        solved.len(),
        runs.len(),
        steps.map_or("-".into(), |s| s.to_string()),
        max_steps.map_or("-".into(), |s| s.to_string()),
        evals.map_or("-".into(), |s| s.to_string()),
        within(250),
        within(500),
        within(1000),
        mean_score,
        &failed[..failed.len().min(12)],
    );
}

fn xor_run(settings: Settings, seed: u64, inject: bool) -> Run {
    let s = Settings {
        init_seed: seed,
        noise_seed: seed,
        ..settings
    };
    match runs::run_xor(
        &s,
        &mut [0.0f32; 9],
        runs::injection(inject),
        &mut NoClock,
        |_| {},
    ) {
        Ok(o) => (
            o.success(inject),
            o.summary.steps,
            o.summary.evaluations,
            o.summary.last_loss,
        ),
        Err(_) => (false, 0, 0, f32::NAN),
    }
}

fn rnn_run(
    settings: Settings,
    stop: StopRule,
    series: &[f32; rnn::WINDOW],
    seed: u64,
    inject: bool,
) -> Run {
    let s = Settings {
        init_seed: seed,
        noise_seed: seed,
        ..settings
    };
    match runs::run_rnn(
        &s,
        stop,
        series,
        [0.0f32; rnn::PARAMS],
        runs::injection(inject),
        &mut NoClock,
        |_| {},
    ) {
        Ok(o) => (
            o.success(inject),
            o.summary.steps,
            o.summary.evaluations,
            o.scores.test / o.scores.test_persistence,
        ),
        Err(_) => (false, 0, 0, f32::NAN),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().collect();
    let what = args.get(1).map_or("xor", String::as_str);
    let seeds: u64 = match args.get(2).map(|s| s.parse()) {
        None => 100,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: sweep [xor|rnn] [seeds > 0]");
            return ExitCode::FAILURE;
        }
    };
    match what {
        "xor" => {
            println!(
                "XOR 2-2-1, Dopamine-2, seeds 0..{seeds}, limit {} steps",
                XOR.max_steps
            );
            for eta in [0.03f32, 0.1, 0.3] {
                for probes in [1usize, 2] {
                    let s = Settings {
                        eta,
                        probes,
                        restart_every: None,
                        ..XOR
                    };
                    let runs = over_seeds(seeds, false, |seed, inj| xor_run(s, seed, inj));
                    report(&format!("eta={eta} K={probes}, no restart"), false, &runs);
                }
            }
            let runs = over_seeds(seeds, false, |seed, inj| xor_run(XOR, seed, inj));
            report("chosen: eta=0.1 K=1, restart every 300", true, &runs);
            let runs = over_seeds(seeds, true, |seed, inj| xor_run(XOR, seed, inj));
            report("chosen, NaN every 20 steps", false, &runs);
        }
        "rnn" => {
            let mut series = [0.0f32; rnn::WINDOW];
            runs::mackey_glass_window(&mut series);
            println!(
                "Mackey-Glass RNN H=8, Dopamine-2, seeds 0..{seeds}, limit {} steps; score = test NRMSE / persistence",
                RNN.max_steps
            );
            for below_fraction in [1.0f32, 0.5, 0.3] {
                for (sigma, eta) in [(1e-3f32, 1e-3f32), (1e-3, 3e-3), (1e-3, 1e-2), (1e-2, 3e-3)] {
                    let s = Settings { sigma, eta, ..RNN };
                    let stop = StopRule {
                        below_fraction,
                        ..RNN_STOP
                    };
                    let runs = over_seeds(seeds, false, |seed, inj| {
                        rnn_run(s, stop, &series, seed, inj)
                    });
                    let chosen = s == RNN && stop == RNN_STOP;
                    report(
                        &format!("stop<{below_fraction}xP sigma={sigma} eta={eta}"),
                        chosen,
                        &runs,
                    );
                }
            }
            let runs = over_seeds(seeds, true, |seed, inj| {
                rnn_run(RNN, RNN_STOP, &series, seed, inj)
            });
            report("chosen, NaN every 20 steps", false, &runs);
        }
        other => {
            eprintln!("unknown sweep {other:?}; use xor or rnn");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
