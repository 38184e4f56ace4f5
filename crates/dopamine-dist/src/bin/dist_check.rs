//! Trains the demo problem (an RNN on a sine wave) under MPI, compares the
//! parameter hash across the ranks after every step, optionally writes
//! checkpoints and resumes from them, and prints the final parameters' hash
//! as its last line, `params_hash <hex>`; `tests/mpirun.rs` and
//! `tests/kill_resume.rs` compare it with a single-process run.
//!
//! Usage: `mpirun -np N dist_check [--rule wp|d1|d2|openes] [--antithetic]
//! [--probes K] [--steps N] [--hidden H] [--len T] [--checkpoint DIR]
//! [--every N] [--every-seconds S] [--keep K] [--stop-on-write-failure]
//! [--resume]`.
//!
//! With `--checkpoint DIR`, rank 0 writes a checkpoint every `--every` steps
//! (10 by default) and, with `--every-seconds`, also when that much time has
//! passed (rank 0's clock decides for every rank), keeping the newest
//! `--keep` (3). `--resume` continues from the newest valid checkpoint in
//! `DIR` on any number of ranks (starting afresh when there is none); the
//! other settings must be those of the run that wrote it. A checkpoint that
//! cannot be written is reported on stderr and the run goes on, or stops
//! with `--stop-on-write-failure`.
//!
//! Test hooks (environment variables, for the kill tests):
//! `DOPAMINE_DIST_TEST_PID_DIR` (each rank writes its process id to
//! `rank-<r>.pid` there), `DOPAMINE_DIST_TEST_THROTTLE_MS` (sleep that long
//! after every step) and `DOPAMINE_DIST_TEST_PAUSE_BEFORE_RENAME` (a step:
//! rank 0 pauses for an hour after writing that step's checkpoint to its
//! temporary file, before renaming it).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use dopamine_core::RpeMode;
use dopamine_dist::demo::{DemoRule, DemoSpec, RunOptions, train_distributed};
use dopamine_dist::{Communicator, MpiCommunicator};
use dopamine_train::store::PauseBeforeRename;
use dopamine_train::{CheckpointFailure, CheckpointPolicy, OnWriteFailure};

const PID_DIR: &str = "DOPAMINE_DIST_TEST_PID_DIR";
const THROTTLE_MS: &str = "DOPAMINE_DIST_TEST_THROTTLE_MS";
const PAUSE_BEFORE_RENAME: &str = "DOPAMINE_DIST_TEST_PAUSE_BEFORE_RENAME";

fn parse(args: &[String]) -> Result<(DemoSpec, RunOptions), String> {
    let mut spec = DemoSpec::default();
    let mut dir = None;
    let mut every = 10;
    let mut every_seconds = None;
    let mut keep = 3;
    let mut stop_on_failure = false;
    let mut resume = false;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let number = |v: &String| v.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--rule" => {
                let v = value()?;
                spec.rule = DemoRule::parse(v).ok_or(format!(
                    "unknown rule {v} (known: {})",
                    DemoRule::ALL.map(DemoRule::flag).join(", ")
                ))?;
            }
            "--antithetic" => spec.rpe = RpeMode::Antithetic,
            "--probes" => spec.probes = number(value()?)? as usize,
            "--steps" => spec.steps = number(value()?)?,
            "--hidden" => spec.hidden = number(value()?)? as usize,
            "--len" => spec.len = number(value()?)? as usize,
            "--checkpoint" => dir = Some(PathBuf::from(value()?)),
            "--every" => every = number(value()?)?,
            "--every-seconds" => {
                let v = value()?;
                every_seconds = Some(v.parse::<f64>().map_err(|e| format!("{flag}: {e}"))?);
            }
            "--keep" => keep = number(value()?)? as usize,
            "--stop-on-write-failure" => stop_on_failure = true,
            "--resume" => resume = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if resume && dir.is_none() {
        return Err("--resume needs --checkpoint DIR".into());
    }
    let pause_at = env_number(PAUSE_BEFORE_RENAME)?;
    let checkpoints = dir.map(|dir| {
        let mut policy = CheckpointPolicy::new(dir, every);
        policy.every_seconds = every_seconds;
        policy.keep = keep;
        if stop_on_failure {
            policy.on_write_failure = OnWriteFailure::Stop;
        }
        policy.pause_before_rename = pause_at.map(|step| PauseBeforeRename {
            step,
            pause: Duration::from_secs(3600),
        });
        policy
    });
    let options = RunOptions {
        checkpoints,
        resume,
        verify_each_step: true,
        throttle: env_number(THROTTLE_MS)?.map(Duration::from_millis),
        on_checkpoint_failure: Some(report_failure),
    };
    Ok((spec, options))
}

fn env_number(name: &str) -> Result<Option<u64>, String> {
    match std::env::var(name) {
        Ok(v) => v.parse().map(Some).map_err(|e| format!("{name}={v}: {e}")),
        Err(_) => Ok(None),
    }
}

fn report_failure(failure: &CheckpointFailure) {
    eprintln!("dist_check: warning: {failure}");
}

fn write_pid(rank: usize) -> Result<(), String> {
    if let Ok(dir) = std::env::var(PID_DIR) {
        let path = PathBuf::from(dir).join(format!("rank-{rank}.pid"));
        std::fs::write(&path, std::process::id().to_string())
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (spec, options) = match parse(&args) {
        Ok(parsed) => parsed,
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
    if let Err(e) = write_pid(comm.rank()) {
        eprintln!("dist_check rank {}: {e}", comm.rank());
        return ExitCode::FAILURE;
    }
    match train_distributed(&spec, &comm, &options) {
        Ok(result) => {
            if comm.rank() == 0 {
                for skipped in &result.skipped {
                    eprintln!("dist_check: skipped a damaged checkpoint: {skipped}");
                }
                let resumed = result
                    .resumed_from
                    .map_or("none".to_string(), |s| s.to_string());
                println!(
                    "ranks {} steps {} resumed_from {resumed} final_loss {:.6e} rejected {} checkpoint_failures {} bytes_reduced_per_rank {}",
                    comm.size(),
                    result.steps,
                    result.final_loss,
                    result.rejected,
                    result.checkpoint_failures.len(),
                    result.comm.bytes_reduced,
                );
                println!("params_hash {:016x}", result.hash);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dist_check rank {}: {e}", comm.rank());
            ExitCode::FAILURE
        }
    }
}
