//! Early measurement of Dopamine-3 on the lab's E2/E3 protocol: a sigma x eta grid chosen on the validation part, test NRMSE over seeds, ablations, one sweep's cosine with BPTT, and the cost of a sweep against a forward pass.
//!
//! The data and the network are the lab's (`configs/mackey_glass.json`,
//! `configs/lorenz.json`, full mode: 3,000 samples split 0.5/0.2/0.3,
//! z-scored on the training part, Elman RNN H = 16 with spectral radius
//! 0.9, washout 50, one step ahead); a run is 10,000 sweeps of two copies
//! over the training part = 20,000 forward passes, in `f64` as the lab
//! trains. NRMSE is the lab's `evaluate` (teacher-forced, one step ahead).
//!
//! ```text
//! cargo run --release -p dopamine-bench --example dopamine3_probe -- grid mg
//! cargo run --release -p dopamine-bench --example dopamine3_probe -- run mg seeds=0,1,2 sigma=0.01 eta=0.003 lambda=0
//! cargo run --release -p dopamine-bench --example dopamine3_probe -- cosine
//! cargo run --release -p dopamine-bench --example dopamine3_probe -- cost
//! ```
//!
//! Settings (`key=value`): `sigma`, `eta`, `lambda`, `c` (steps or
//! `sweep`), `signal` (`step`, `adaptive`, `whole`), `moment` (`on`,
//! `off`), `noise` (`anti`, `clean`), `final` (the cosine schedule's final
//! fraction; `1` is constant), `sweeps`, `seeds` (comma-separated),
//! `part` (`val`, `test`), `acc` (`stream` or the block rows).

use std::time::Instant;

use dopamine_bench::experiments::forecast::{
    ForecastConfig, ForecastData, LORENZ_CONFIG, MACKEY_GLASS_CONFIG, evaluate, forecast_data,
    persistence,
};
use dopamine_bench::{BenchError, Mode, config};
use dopamine_core::{
    Accumulation, AdaptiveCoding, Dopamine3, Dopamine3Config, EtaSchedule, NoiseMode,
    SecondMomentConfig, Signal, UpdateEvery,
};
use dopamine_nets::{Bptt, Rnn, RnnGradWorkspace, RnnInit, RnnNodeWorkspace, RnnWorkspace};
use faer::{Mat, MatRef};
use rayon::prelude::*;

/// One configuration of the probe.
#[derive(Debug, Clone, Copy)]
struct Setting {
    rule: Dopamine3Config<f64>,
    final_fraction: f64,
    sweeps: u64,
}

impl Default for Setting {
    fn default() -> Self {
        Self {
            rule: Dopamine3Config {
                sigma: 0.01,
                eta: 0.003,
                lambda: 0.5,
                update_every: UpdateEvery::Steps(300),
                ..Default::default()
            },
            final_fraction: 0.01,
            sweeps: 10_000,
        }
    }
}

impl Setting {
    fn describe(&self) -> String {
        let r = &self.rule;
        format!(
            "sigma={} eta={} lambda={} c={} signal={} moment={} noise={} final={} sweeps={}",
            r.sigma,
            r.eta,
            r.lambda,
            match r.update_every {
                UpdateEvery::Steps(c) => c.to_string(),
                UpdateEvery::Sweep => "sweep".into(),
            },
            match r.signal {
                Signal::PerStep => "step",
                Signal::Adaptive(_) => "adaptive",
                Signal::WholeInterval => "whole",
            },
            if r.second_moment.is_some() {
                "on"
            } else {
                "off"
            },
            match r.noise {
                NoiseMode::Antithetic => "anti",
                NoiseMode::CleanPerturbed => "clean",
            },
            self.final_fraction,
            self.sweeps
        )
    }

    /// Applies `key=value` arguments; returns the ones it does not know.
    fn parse(mut self, args: &[String]) -> (Self, Vec<&str>) {
        let mut rest = Vec::new();
        for arg in args {
            let Some((k, v)) = arg.split_once('=') else {
                rest.push(arg.as_str());
                continue;
            };
            let num = || v.parse::<f64>().expect("a number");
            match k {
                "sigma" => self.rule.sigma = num(),
                "eta" => self.rule.eta = num(),
                "lambda" => self.rule.lambda = num(),
                "c" if v == "sweep" => self.rule.update_every = UpdateEvery::Sweep,
                "c" => self.rule.update_every = UpdateEvery::Steps(num() as u32),
                "signal" => {
                    self.rule.signal = match v {
                        "step" => Signal::PerStep,
                        "adaptive" => Signal::Adaptive(AdaptiveCoding::default()),
                        "whole" => Signal::WholeInterval,
                        _ => panic!("signal: step, adaptive or whole"),
                    }
                }
                "moment" => self.rule.second_moment = (v == "on").then(SecondMomentConfig::default),
                "noise" => {
                    self.rule.noise = match v {
                        "anti" => NoiseMode::Antithetic,
                        "clean" => NoiseMode::CleanPerturbed,
                        _ => panic!("noise: anti or clean"),
                    }
                }
                "acc" if v == "stream" => self.rule.accumulation = Accumulation::Streaming,
                "acc" => self.rule.accumulation = Accumulation::Blocks(num() as u32),
                "final" => self.final_fraction = num(),
                "sweeps" => self.sweeps = num() as u64,
                _ => rest.push(arg.as_str()),
            }
        }
        (self, rest)
    }
}

struct Problem {
    config: ForecastConfig,
    data: ForecastData,
    inputs: Mat<f64>,
    targets: Mat<f64>,
}

impl Problem {
    fn load(system: &str) -> Result<Self, BenchError> {
        let config: ForecastConfig = match system {
            "mg" => config::parse("mackey_glass.json", MACKEY_GLASS_CONFIG)?,
            "lorenz" => config::parse("lorenz.json", LORENZ_CONFIG)?,
            _ => panic!("system: mg or lorenz"),
        };
        let data = forecast_data(&config, Mode::Full)?;
        let (inputs, targets) = data.pairs(0, data.train_end)?;
        Ok(Self {
            config,
            data,
            inputs,
            targets,
        })
    }

    fn net(&self, seed: u64) -> Result<Rnn<f64>, BenchError> {
        let d = self.data.series.dim();
        Ok(Rnn::new(
            d,
            self.config.hidden,
            d,
            &RnnInit {
                spectral_radius: self.config.spectral_radius,
                seed,
                ..Default::default()
            },
        )?)
    }

    /// Trains seed `seed` (initialisation and noise); returns the network
    /// and the rule's counters.
    fn train(&self, s: &Setting, seed: u64) -> Result<(Rnn<f64>, u64), BenchError> {
        let mut net = self.net(seed)?;
        let len = self.inputs.nrows() as u64;
        let per_sweep = match s.rule.update_every {
            UpdateEvery::Steps(c) => len.div_ceil(u64::from(c)),
            UpdateEvery::Sweep => 1,
        };
        let schedule = if s.final_fraction < 1.0 {
            EtaSchedule::Cosine {
                total_steps: s.sweeps * per_sweep,
                final_fraction: s.final_fraction,
            }
        } else {
            EtaSchedule::Constant
        };
        let rule_config = Dopamine3Config {
            schedule,
            seed,
            ..s.rule
        };
        let layout = net.node_layout();
        let mut rule = Dopamine3::new(
            rule_config,
            layout,
            vec![0.0; rule_config.storage_len(&layout)],
        )?;
        let mut ws = RnnNodeWorkspace::new(&net);
        for _ in 0..s.sweeps {
            net.node_sweep(
                &mut rule,
                self.inputs.as_ref(),
                self.targets.as_ref(),
                self.config.washout,
                &mut ws,
            )?;
        }
        Ok((net, rule.counters().rejected_updates))
    }

    fn nrmse(&self, net: &Rnn<f64>, test: bool) -> Result<f64, BenchError> {
        let (start, end) = if test {
            (self.data.val_end, self.data.series.len())
        } else {
            (self.data.train_end, self.data.val_end)
        };
        Ok(evaluate(net, &self.data, start, end, &[], &[], self.config.context)?.teacher_forced)
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Test (or validation) NRMSE of `s` on every seed, in parallel.
fn scores(p: &Problem, s: &Setting, seeds: &[u64], test: bool) -> Result<Vec<f64>, BenchError> {
    seeds
        .par_iter()
        .map(|&seed| {
            let (net, _) = p.train(s, seed)?;
            p.nrmse(&net, test)
        })
        .collect()
}

fn seeds_arg(args: &[&str], default: &[u64]) -> Vec<u64> {
    args.iter()
        .find_map(|a| a.strip_prefix("seeds="))
        .map(|v| v.split(',').map(|s| s.parse().expect("a seed")).collect())
        .unwrap_or_else(|| default.to_vec())
}

fn list_arg(args: &[&str], key: &str, default: &[f64]) -> Vec<f64> {
    args.iter()
        .find_map(|a| a.strip_prefix(key))
        .map(|v| v.split(',').map(|s| s.parse().expect("a number")).collect())
        .unwrap_or_else(|| default.to_vec())
}

/// `run SYSTEM [settings] [seeds=..] [part=val|test]`.
fn run(system: &str, args: &[String]) -> Result<(), BenchError> {
    let p = Problem::load(system)?;
    let (s, rest) = Setting::default().parse(args);
    let seeds = seeds_arg(&rest, &[0, 1, 2]);
    let test = !rest.contains(&"part=val");
    let t0 = Instant::now();
    let mut v = scores(&p, &s, &seeds, test)?;
    let shown = v.clone();
    println!(
        "{system} {} {}: {:?} median {:.5} ({:.0} s)",
        s.describe(),
        if test { "test" } else { "val" },
        shown.iter().map(|x| format!("{x:.5}")).collect::<Vec<_>>(),
        median(&mut v),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `grid SYSTEM [sigmas=..] [etas=..] [lambdas=..] [settings]`: every
/// sigma x eta (x lambda) on two
/// tuning seeds (10,000 and 10,001), scored on the validation part; the
/// best (lowest median) on the evaluation seeds, scored on the test part.
fn grid(system: &str, args: &[String]) -> Result<(), BenchError> {
    let p = Problem::load(system)?;
    let base = persistence(&p.data, &[1], &[p.data.val_end])?;
    println!(
        "{system}: persistence test NRMSE {:.4}",
        base.teacher_forced
    );
    let (s, rest) = Setting::default().parse(args);
    let sigmas = list_arg(&rest, "sigmas=", &[0.003, 0.01, 0.03]);
    let etas = list_arg(&rest, "etas=", &[0.001, 0.003, 0.01]);
    let lambdas = list_arg(&rest, "lambdas=", &[s.rule.lambda]);
    let seeds = seeds_arg(&rest, &[0, 1, 2, 3, 4]);
    let mut best: Option<(f64, Setting)> = None;
    let points: Vec<(f64, f64, f64)> = sigmas
        .iter()
        .flat_map(|&s| {
            etas.iter()
                .flat_map(|&e| lambdas.iter().map(move |&l| (s, e, l)))
                .collect::<Vec<_>>()
        })
        .collect();
    for (sigma, eta, lambda) in points {
        {
            let mut c = s;
            c.rule.sigma = sigma;
            c.rule.eta = eta;
            c.rule.lambda = lambda;
            let mut v = scores(&p, &c, &[10_000, 10_001], false)?;
            let m = median(&mut v);
            println!("  val {v:.5?} median {m:.5}: {}", c.describe());
            if m.is_finite() && best.as_ref().is_none_or(|(b, _)| m < *b) {
                best = Some((m, c));
            }
        }
    }
    let (val, chosen) = best.expect("a finite configuration");
    let mut v = scores(&p, &chosen, &seeds, true)?;
    let shown = v.clone();
    println!(
        "{system} chosen (val {val:.5}): {}\n  test {:?} median {:.5}",
        chosen.describe(),
        shown.iter().map(|x| format!("{x:.5}")).collect::<Vec<_>>(),
        median(&mut v)
    );
    Ok(())
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}

/// `cosine [settings]`: one sweep's estimate against the BPTT gradient at
/// initialisation, E2's network and training part, seeds 0..5, and per
/// parameter block for seed 0.
fn cosines(args: &[String]) -> Result<(), BenchError> {
    for system in ["mg", "lorenz"] {
        let p = Problem::load(system)?;
        for lambda in [0.0, 0.5, 0.9] {
            let (mut s, _) = Setting::default().parse(args);
            s.rule.lambda = lambda;
            s.rule.update_every = UpdateEvery::Sweep;
            let mut all = Vec::new();
            for seed in 0..5 {
                let net = p.net(seed)?;
                let (x, y) = (p.inputs.as_ref(), p.targets.as_ref());
                let mut grad = vec![0.0; net.num_params()];
                let mut gws = RnnGradWorkspace::new(&net, x.nrows(), Bptt::Full);
                net.loss_and_gradient(x, y, p.config.washout, Bptt::Full, &mut gws, &mut grad)?;
                let minus: Vec<f64> = grad.iter().map(|g| -g).collect();
                let layout = net.node_layout();
                let rc = Dopamine3Config { seed, ..s.rule };
                let mut rule = Dopamine3::new(rc, layout, vec![0.0; rc.storage_len(&layout)])?;
                let mut ws = RnnNodeWorkspace::new(&net);
                let mut est = vec![0.0; net.num_params()];
                net.node_estimate(&mut rule, x, y, p.config.washout, &mut ws, &mut est)?;
                all.push(cosine(&est, &minus));
                if seed == 0 {
                    let l = net.layout();
                    let blocks = [l.w_in, l.w_hh, l.bias, l.w_out, l.bias_out]
                        .map(|r| cosine(&est[r.clone()], &minus[r]));
                    println!(
                        "{system} lambda {lambda} sigma {}: seed 0 per block [W_in, W_hh, b, W_out, b_out] {blocks:.3?}",
                        s.rule.sigma
                    );
                }
            }
            let shown = all.clone();
            println!(
                "{system} lambda {lambda}: one-sweep cosine, seeds 0-4 {shown:.3?}, median {:.3}",
                median(&mut all)
            );
        }
    }
    Ok(())
}

/// Median of `reps` timings of `f` (seconds).
fn time<F: FnMut()>(reps: usize, mut f: F) -> f64 {
    let mut v: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    median(&mut v)
}

/// Rounds of the cost measurement.
const ROUNDS: usize = 301;

/// `cost [settings]`: one Dopamine-3 sweep (both copies, eligibility,
/// updates) against one forward pass (`Rnn::loss`) on E2's training part,
/// `f32`, H = 16 and 64 (`h=..` for others), one call of each
/// alternating, medians (and minima) of 301 rounds.
fn cost(args: &[String]) -> Result<(), BenchError> {
    let p = Problem::load("mg")?;
    let (s, rest) = Setting::default().parse(args);
    let hidden: Vec<usize> = list_arg(&rest, "h=", &[16.0, 64.0])
        .iter()
        .map(|&h| h as usize)
        .collect();
    let x: Vec<f32> = (0..p.inputs.nrows())
        .map(|t| p.inputs[(t, 0)] as f32)
        .collect();
    let y: Vec<f32> = (0..p.targets.nrows())
        .map(|t| p.targets[(t, 0)] as f32)
        .collect();
    let (inputs, targets) = (
        MatRef::from_column_major_slice(&x, x.len(), 1),
        MatRef::from_column_major_slice(&y, y.len(), 1),
    );
    for h in hidden {
        let mut net = Rnn::<f32>::new(1, h, 1, &RnnInit::with_seed(0))?;
        let rc = Dopamine3Config::<f32> {
            sigma: s.rule.sigma as f32,
            eta: 1e-6,
            lambda: s.rule.lambda as f32,
            update_every: s.rule.update_every,
            signal: Signal::PerStep,
            second_moment: s.rule.second_moment.map(|_| SecondMomentConfig::default()),
            noise: s.rule.noise,
            accumulation: s.rule.accumulation,
            ..Default::default()
        };
        let layout = net.node_layout();
        let mut rule = Dopamine3::new(rc, layout, vec![0.0f32; rc.storage_len(&layout)])?;
        let mut nws = RnnNodeWorkspace::new(&net);
        let mut fws = RnnWorkspace::new(&net);
        let washout = p.config.washout;
        let (mut fwd, mut sweep) = (Vec::new(), Vec::new());
        // Single calls, alternating, many rounds: on a shared machine a
        // round that another process interrupts is an outlier, and the
        // median of the rest is stable.
        for _ in 0..ROUNDS {
            fwd.push(time(1, || {
                std::hint::black_box(net.loss(inputs, targets, washout, &mut fws).unwrap());
            }));
            sweep.push(time(1, || {
                std::hint::black_box(
                    net.node_sweep(&mut rule, inputs, targets, washout, &mut nws)
                        .unwrap(),
                );
            }));
        }
        let (fmin, wmin) = (
            fwd.iter().copied().fold(f64::MAX, f64::min),
            sweep.iter().copied().fold(f64::MAX, f64::min),
        );
        println!(
            "  minima: forward {:.1} us, sweep {:.1} us, ratio {:.2}",
            fmin * 1e6,
            wmin * 1e6,
            wmin / fmin
        );
        // The rule alone: the same steps with fixed presynaptic values and
        // losses, no model.
        let mut alone = Vec::new();
        let mut w = net.params().to_vec();
        for _ in 0..ROUNDS / 3 {
            alone.push(time(1, || {
                for t in 0..x.len() {
                    let step = rule.open_step().unwrap();
                    step.presynaptic.fill(0.5);
                    let l = (t % 7) as f32 * 1e-3;
                    if rule.record(l, 2.0 * l).unwrap().update_due {
                        let _ = rule.update(&mut w).unwrap();
                    }
                }
                let _ = rule.end_sequence(&mut w).unwrap();
            }));
        }
        println!(
            "  the rule alone (noise, eligibility, updates; no model): {:.1} us",
            median(&mut alone) * 1e6
        );
        let (f, w) = (median(&mut fwd), median(&mut sweep));
        let c = net.node_sweep_cost(x.len(), washout, &rc);
        let fflops = net.forward_flops(x.len(), washout);
        println!(
            "H={h} f32 T={}: forward {:.1} us, sweep {:.1} us, ratio {:.2} (FLOPs: forward {fflops}, sweep copies {} + eligibility {} = {:.2}x)",
            x.len(),
            f * 1e6,
            w * 1e6,
            w / f,
            c.forward_flops,
            c.eligibility_flops,
            (c.forward_flops + c.eligibility_flops) as f64 / fflops as f64
        );
    }
    Ok(())
}

fn main() -> Result<(), BenchError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average: {}", load.trim());
    match args.first().map(String::as_str) {
        Some("run") => run(&args[1], &args[2..]),
        Some("grid") => grid(&args[1], &args[2..]),
        Some("cosine") => cosines(&args[1..]),
        Some("cost") => cost(&args[1..]),
        _ => {
            eprintln!(
                "usage: dopamine3_probe (run|grid) (mg|lorenz) [key=value..] | cosine | cost"
            );
            Ok(())
        }
    }
}
