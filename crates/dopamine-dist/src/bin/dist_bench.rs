//! Step throughput against the number of ranks, and bytes per step.
//!
//! `dist_bench --sweep 1,2,4` launches itself under `mpirun -np N` for each N
//! (on localhost, oversubscribed when N exceeds the cores) and prints a
//! table; `mpirun -np N dist_bench` measures one N. The problem is an Elman
//! RNN (1 input, H hidden, 1 output) on a sine wave of length T with
//! Dopamine-1 and K forward probes, so a loss evaluation costs O(T H^2) and
//! dominates. Options: `--hidden H` (64), `--len T` (1000), `--probes K`
//! (8), `--steps N` (40 measured, after 3 warm-up steps).

use std::process::{Command, ExitCode};
use std::time::Instant;

use dopamine_core::{Dopamine1, Dopamine1Rule, PerturbConfig};
use dopamine_dist::demo::SineRnn;
use dopamine_dist::{Communicator, DistributedStepper, MpiCommunicator, verify_identical};

#[derive(Debug, Clone, Copy)]
struct Opts {
    hidden: usize,
    len: usize,
    probes: usize,
    steps: u64,
}

fn parse(args: &[String]) -> Result<(Opts, Option<Vec<usize>>), String> {
    let mut o = Opts {
        hidden: 64,
        len: 1000,
        probes: 8,
        steps: 40,
    };
    let mut sweep = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        let n = || v.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--hidden" => o.hidden = n()?,
            "--len" => o.len = n()?,
            "--probes" => o.probes = n()?,
            "--steps" => o.steps = n()? as u64,
            "--sweep" => {
                sweep = Some(
                    v.split(',')
                        .map(|s| s.parse::<usize>().map_err(|e| format!("--sweep: {e}")))
                        .collect::<Result<_, _>>()?,
                )
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((o, sweep))
}

fn args_of(o: &Opts) -> Vec<String> {
    [
        ("--hidden", o.hidden as u64),
        ("--len", o.len as u64),
        ("--probes", o.probes as u64),
        ("--steps", o.steps),
    ]
    .iter()
    .flat_map(|(f, v)| [f.to_string(), v.to_string()])
    .collect()
}

fn sweep(o: &Opts, ranks: &[usize]) -> ExitCode {
    let me = std::env::current_exe().expect("own path");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "RNN H={} T={} Dopamine-1 K={} forward; {} measured steps; {cores} cores{}",
        o.hidden,
        o.len,
        o.probes,
        o.steps,
        if ranks.iter().any(|&n| n > cores) {
            " (runs with more ranks than cores are oversubscribed)"
        } else {
            ""
        }
    );
    println!(
        "| ranks | steps/s | speed-up | evaluations/rank/step | eval s/step | all-reduce s/step | replay s/step | bytes sent/rank/step | gradient all-reduce bytes (P floats) |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut base = None;
    for &np in ranks {
        let out = Command::new("mpirun")
            .args([
                "--allow-run-as-root",
                "--oversubscribe",
                "-np",
                &np.to_string(),
            ])
            .arg(&me)
            .args(args_of(o))
            .env("OMPI_MCA_btl", "self,vader")
            .output();
        let out = match out {
            Ok(out) if out.status.success() => out,
            Ok(out) => {
                eprintln!(
                    "mpirun -np {np} failed:\n{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("cannot run mpirun: {e}");
                return ExitCode::FAILURE;
            }
        };
        let line = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<&str> = line.split_whitespace().collect();
        // "RESULT np steps_per_s eval comm replay bytes grad_bytes evals"
        if fields.len() != 9 || fields[0] != "RESULT" {
            eprintln!("unexpected output: {line}");
            return ExitCode::FAILURE;
        }
        let rate: f64 = fields[2].parse().unwrap_or(f64::NAN);
        let base_rate = *base.get_or_insert(rate);
        println!(
            "| {np} | {rate:.2} | {:.2}x | {} | {} | {} | {} | {} | {} |",
            rate / base_rate,
            fields[8],
            fields[3],
            fields[4],
            fields[5],
            fields[6],
            fields[7]
        );
    }
    ExitCode::SUCCESS
}

fn measure(o: &Opts) -> Result<(), String> {
    let comm = MpiCommunicator::init().map_err(|e| e.to_string())?;
    let mut problem = SineRnn::new(o.hidden, o.len, 1);
    let mut w = problem.initial_params();
    let config = PerturbConfig {
        sigma: 1e-3,
        eta: 0.01,
        probes: o.probes,
        seed: 5,
        ..Default::default()
    };
    let mut opt =
        Dopamine1::new(config, Dopamine1Rule::default(), w.len()).map_err(|e| e.to_string())?;
    let mut stepper = DistributedStepper::new(w.len());
    let mut step = |n: u64, stepper: &mut DistributedStepper<f64>| -> Result<(), String> {
        for _ in 0..n {
            let _ = stepper
                .step(&mut opt, &mut w, |p| problem.loss_of(p), &comm)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    };
    step(3, &mut stepper)?;
    let before = *stepper.stats();
    comm.barrier();
    let t0 = Instant::now();
    step(o.steps, &mut stepper)?;
    comm.barrier();
    let secs = t0.elapsed().as_secs_f64();
    let after = *stepper.stats();
    verify_identical(&w, &comm).map_err(|e| e.to_string())?;
    if comm.rank() == 0 {
        let n = o.steps as f64;
        let per = |a: std::time::Duration, b: std::time::Duration| (a - b).as_secs_f64() / n;
        println!(
            "RESULT {} {:.4} {:.2e} {:.2e} {:.2e} {} {} {}",
            comm.size(),
            n / secs,
            per(after.evaluation_time, before.evaluation_time),
            per(after.communication_time, before.communication_time),
            per(after.replay_time, before.replay_time),
            (after.bytes_reduced - before.bytes_reduced) / o.steps,
            8 * w.len(),
            (after.local_evaluations - before.local_evaluations) as f64 / n,
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (opts, ranks) = match parse(&args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("dist_bench: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(ranks) = ranks {
        return sweep(&opts, &ranks);
    }
    match measure(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dist_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
