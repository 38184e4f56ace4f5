//! `cargo xtask`: developer tasks for the dopamine workspace (`reproduce`, `bench`).

use std::path::PathBuf;
use std::process::ExitCode;

use dopamine_bench::alloc_meter::CountingAllocator;
use dopamine_bench::experiments::Mode;
use dopamine_bench::reproduce::{ReproduceOptions, reproduce};

/// Counts heap use so E4 can report measured peak bytes.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

const USAGE: &str = "usage: cargo xtask reproduce [--quick] [--resume] [--out DIR] [--configs DIR]

  reproduce   rerun the paper's experiments (E1 XOR, E2 Mackey-Glass, E3 Lorenz-63,
              E4 cost) and write report.md, summary.json, CSV curves and figures
  --quick     fewer seeds, steps and sizes (a few minutes)
  --resume    continue an interrupted run in the same --out folder: experiments
              already finished there (same mode, same config) are not rerun
  --out DIR   output folder (default target/reproduce)
  --configs DIR  read xor.json, mackey_glass.json, lorenz.json, cost.json from DIR
                 instead of the built-in crates/dopamine-bench/configs/

usage: cargo xtask bench [--quick] [--out FILE]

  bench       measure kernels, step overhead, memory, parallel probes and scaling
              (B1-B6) and write the tables to docs/benchmarks.md
  --quick     smaller sizes and fewer samples (CI speed)
  --out FILE  write the report there instead";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("bench") {
        return bench(&args);
    }
    if args.first().map(String::as_str) != Some("reproduce") {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    }
    let mut mode = Mode::Full;
    let mut out = PathBuf::from("target/reproduce");
    let mut configs = None;
    let mut resume = false;
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => mode = Mode::Quick,
            "--resume" => resume = true,
            "--out" | "--configs" => {
                let Some(v) = it.next() else {
                    eprintln!("{a} needs a folder\n\n{USAGE}");
                    return ExitCode::FAILURE;
                };
                if a == "--out" {
                    out = PathBuf::from(v);
                } else {
                    configs = Some(PathBuf::from(v));
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument `{other}`\n\n{USAGE}");
                return ExitCode::FAILURE;
            }
        }
    }
    let opts = ReproduceOptions {
        mode,
        out_dir: out.clone(),
        configs_dir: configs,
        command: format!("cargo xtask {}", args.join(" ")),
        resume,
    };
    match reproduce(&opts, Some(&ALLOCATOR)) {
        Ok(summary) => {
            for c in &summary.claims {
                println!("{} {}: {}", c.id, c.statement, c.verdict.label());
            }
            println!("report: {}", out.join("report.md").display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("reproduce failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask bench [--quick] [--out FILE]`.
fn bench(args: &[String]) -> ExitCode {
    let mut mode = Mode::Full;
    let mut out = PathBuf::from("docs/benchmarks.md");
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        match (a.as_str(), a == "--out") {
            ("--quick", _) => mode = Mode::Quick,
            (_, true) => match it.next() {
                Some(v) => out = PathBuf::from(v),
                None => {
                    eprintln!("--out needs a file\n\n{USAGE}");
                    return ExitCode::FAILURE;
                }
            },
            (other, _) => {
                eprintln!("unknown argument `{other}`\n\n{USAGE}");
                return ExitCode::FAILURE;
            }
        }
    }
    let options = dopamine_bench::benchmarks::BenchOptions {
        mode,
        command: format!("cargo xtask {}", args.join(" ")),
    };
    let report = match dopamine_bench::benchmarks::run(&options, Some(&ALLOCATOR)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bench failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::write(&out, &report.markdown) {
        eprintln!("cannot write {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    for c in &report.checks {
        let verdict = if c.met { "met" } else { "MISSED" };
        println!(
            "{}: {:.3} (target {}) {verdict}",
            c.name, c.measured, c.target
        );
    }
    println!("report: {}", out.display());
    ExitCode::SUCCESS
}
