//! Trains the demo problem (an RNN on a sine wave) under MPI, compares the
//! parameter hash across the ranks after every step, and prints the final
//! hash; `tests/mpirun.rs` compares it with a single-process run.
//!
//! Usage: `mpirun -np N dist_check [--rule wp|d1|d2] [--antithetic]
//! [--probes K] [--steps N] [--hidden H] [--len T]`.

use std::process::ExitCode;

use dopamine_core::RpeMode;
use dopamine_dist::demo::{DemoRule, DemoSpec, train_distributed};
use dopamine_dist::{Communicator, MpiCommunicator};

fn parse(args: &[String]) -> Result<DemoSpec, String> {
    let mut spec = DemoSpec::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let number = |v: &String| v.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--rule" => {
                let v = value()?;
                spec.rule = DemoRule::parse(v).ok_or(format!("unknown rule {v}"))?;
            }
            "--antithetic" => spec.rpe = RpeMode::Antithetic,
            "--probes" => spec.probes = number(value()?)? as usize,
            "--steps" => spec.steps = number(value()?)?,
            "--hidden" => spec.hidden = number(value()?)? as usize,
            "--len" => spec.len = number(value()?)? as usize,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(spec)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let spec = match parse(&args) {
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("dist_check: {e}");
            return ExitCode::from(2);
        }
    };
    let comm = match MpiCommunicator::init() {
        Ok(comm) => comm,
        Err(e) => {
            eprintln!("dist_check: {e}");
            return ExitCode::FAILURE;
        }
    };
    match train_distributed(&spec, &comm, true) {
        Ok(result) => {
            if comm.rank() == 0 {
                println!(
                    "ranks {} steps {} final_loss {:.6e} rejected {} bytes_reduced_per_rank {} hash {:016x}",
                    comm.size(),
                    spec.steps,
                    result.final_loss,
                    result.rejected,
                    result.comm.bytes_reduced,
                    result.hash
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dist_check rank {}: {e}", comm.rank());
            ExitCode::FAILURE
        }
    }
}
