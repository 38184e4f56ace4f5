//! `cargo xtask`: developer tasks for the dopamine workspace (`reproduce`, `bench`, `readme`), a thin command line over `dopamine-bench`.

use std::path::PathBuf;
use std::process::ExitCode;

use dopamine_bench::Mode;
use dopamine_bench::reproduce::{ReproduceOptions, reproduce};
use dopamine_meter::CountingAllocator;
use lexopt::prelude::*;

/// Counts heap use so E4 and B4 can report measured peak bytes.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

const USAGE: &str = "usage: cargo xtask <COMMAND> [OPTIONS]

commands:
  reproduce   rerun the paper's experiments (E1 XOR, E2 Mackey-Glass, E3 Lorenz-63,
              E4 cost, E5 scaling) and write report.md, summary.json, CSV curves and figures
  bench       measure kernels, step overhead, memory, parallel probes, scaling,
              population steps, forward passes and training throughput (B1, B2,
              B4-B9; B3 is a test) and write the tables to docs/benchmarks.md
  readme      regenerate the results block of README.md from docs/results/summary.json
  help        print this message

cargo xtask reproduce [--quick] [--resume] [--out DIR] [--configs DIR]
  --quick        fewer seeds, steps and sizes (a few minutes)
  --resume       continue an interrupted run in the same --out folder: experiments
                 already finished there (same mode, same config) are not rerun
  --out DIR      output folder (default target/reproduce)
  --configs DIR  read xor.json, mackey_glass.json, lorenz.json, cost.json, scaling.json from DIR
                 instead of the built-in crates/dopamine-bench/configs/

cargo xtask bench [--quick] [--only IDS] [--out FILE]
  --quick        smaller sizes and fewer samples (CI speed)
  --only IDS     run only these benchmarks, e.g. --only B7,B9 (write the report
                 with --out elsewhere: docs/benchmarks.md holds every benchmark)
  --out FILE     write the report there instead of docs/benchmarks.md

cargo xtask readme [--summary FILE] [--readme FILE]
  --summary FILE the run's summary (default docs/results/summary.json)
  --readme FILE  the README to update (default README.md)";

/// A parsed command line.
enum Command {
    Help,
    Reproduce(ReproduceOptions),
    Bench {
        mode: Mode,
        only: Vec<String>,
        out: PathBuf,
    },
    Readme {
        summary: PathBuf,
        readme: PathBuf,
    },
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command_line = format!("cargo xtask {}", args.join(" "));
    let command = match parse(args, &command_line) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        Command::Help => {
            println!("{USAGE}");
            Ok(())
        }
        Command::Reproduce(opts) => run_reproduce(&opts),
        Command::Bench { mode, only, out } => run_bench(mode, only, &out, command_line),
        Command::Readme { summary, readme } => run_readme(&summary, &readme),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Parses the arguments after `cargo xtask`.
fn parse(args: Vec<String>, command_line: &str) -> Result<Command, lexopt::Error> {
    let mut parser = lexopt::Parser::from_args(args);
    let sub = match parser.next()? {
        None => return Err("no command given".into()),
        Some(Short('h') | Long("help")) => return Ok(Command::Help),
        Some(Value(v)) => v.string()?,
        Some(other) => return Err(other.unexpected()),
    };
    match sub.as_str() {
        "help" => Ok(Command::Help),
        "reproduce" => {
            let mut opts = ReproduceOptions {
                mode: Mode::Full,
                out_dir: PathBuf::from("target/reproduce"),
                configs_dir: None,
                command: command_line.to_string(),
                resume: false,
            };
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("quick") => opts.mode = Mode::Quick,
                    Long("resume") => opts.resume = true,
                    Long("out") => opts.out_dir = parser.value()?.into(),
                    Long("configs") => opts.configs_dir = Some(parser.value()?.into()),
                    Short('h') | Long("help") => return Ok(Command::Help),
                    other => return Err(other.unexpected()),
                }
            }
            Ok(Command::Reproduce(opts))
        }
        "bench" => {
            let mut mode = Mode::Full;
            let mut out = PathBuf::from("docs/benchmarks.md");
            let mut only = Vec::new();
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("quick") => mode = Mode::Quick,
                    Long("only") => {
                        let ids = parser.value()?.string()?;
                        only.extend(ids.split(',').map(|id| id.trim().to_uppercase()));
                    }
                    Long("out") => out = parser.value()?.into(),
                    Short('h') | Long("help") => return Ok(Command::Help),
                    other => return Err(other.unexpected()),
                }
            }
            Ok(Command::Bench { mode, only, out })
        }
        "readme" => {
            let mut summary = PathBuf::from("docs/results/summary.json");
            let mut readme = PathBuf::from("README.md");
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("summary") => summary = parser.value()?.into(),
                    Long("readme") => readme = parser.value()?.into(),
                    Short('h') | Long("help") => return Ok(Command::Help),
                    other => return Err(other.unexpected()),
                }
            }
            Ok(Command::Readme { summary, readme })
        }
        other => Err(format!("unknown command `{other}`").into()),
    }
}

/// Warns when results are about to be written by uncommitted code: a
/// report under `docs/` must name a committed revision (the tidy test
/// refuses `-dirty` there).
fn warn_if_dirty(revision: &str) {
    if revision.ends_with("-dirty") {
        eprintln!(
            "warning: revision {revision}: the working tree has uncommitted changes; \
             commit first if these results are to be committed"
        );
    }
}

fn run_reproduce(opts: &ReproduceOptions) -> Result<(), String> {
    let summary =
        reproduce(opts, Some(&ALLOCATOR)).map_err(|e| format!("reproduce failed: {e}"))?;
    warn_if_dirty(&summary.machine.git_revision);
    for c in &summary.claims {
        println!("{} {}: {}", c.id, c.statement, c.verdict.label());
    }
    println!("report: {}", opts.out_dir.join("report.md").display());
    Ok(())
}

fn run_bench(
    mode: Mode,
    only: Vec<String>,
    out: &std::path::Path,
    command: String,
) -> Result<(), String> {
    let options = dopamine_bench::benchmarks::BenchOptions {
        mode,
        only,
        command,
    };
    let report = dopamine_bench::benchmarks::run(&options, Some(&ALLOCATOR))
        .map_err(|e| format!("bench failed: {e}"))?;
    std::fs::write(out, &report.markdown)
        .map_err(|e| format!("bench failed: {}: {e}", out.display()))?;
    warn_if_dirty(&report.revision);
    for c in &report.checks {
        let verdict = if c.met { "met" } else { "MISSED" };
        println!(
            "{}: {:.3} (target {}) {verdict}",
            c.name, c.measured, c.target
        );
    }
    println!("report: {}", out.display());
    Ok(())
}

fn run_readme(summary: &std::path::Path, readme: &std::path::Path) -> Result<(), String> {
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p).map_err(|e| format!("readme failed: {}: {e}", p.display()))
    };
    let (text, json) = (read(readme)?, read(summary)?);
    let updated = dopamine_bench::readme::regenerate(&text, &json)
        .map_err(|e| format!("readme failed: {e}"))?;
    if updated == text {
        println!("{}: results block already fresh", readme.display());
        return Ok(());
    }
    std::fs::write(readme, updated)
        .map_err(|e| format!("readme failed: {}: {e}", readme.display()))?;
    println!(
        "{}: results block regenerated from {}",
        readme.display(),
        summary.display()
    );
    Ok(())
}
