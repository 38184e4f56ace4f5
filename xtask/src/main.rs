//! `cargo xtask`: developer tasks for the dopamine workspace (`reproduce`).

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
                 instead of the built-in crates/dopamine-bench/configs/";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
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
