//! `Trainer::run_with` over `Replicas`: a replica that does not write checkpoints follows the writer's decisions (clock, observer, failed writes) and writes nothing; `SingleProcess` is `run`. The MPI implementation is tested in `dopamine-dist`.

mod common;

use std::fs;

use common::{all_specs, build, param_bits, xor_objective};
use dopamine_train::{
    Budget, CheckpointError, CheckpointPolicy, NoObserver, Objective, OnWriteFailure, Optimizer,
    PopulationScratch, Replicas, SingleProcess, StepInfo, StopReason, TrainError, TrainSpec,
    Trainer, step_preferred,
};

const STEPS: u64 = 40;

/// A replica that does not write; the writer's flags are `writer`.
struct Follower {
    writer: u64,
    agreements: u64,
}

impl Replicas<f64> for Follower {
    fn step(
        &mut self,
        optimizer: &mut dyn Optimizer<f64>,
        objective: &mut dyn Objective<f64>,
        scratch: &mut PopulationScratch<f64>,
    ) -> Result<StepInfo, TrainError> {
        step_preferred(optimizer, objective, scratch)
    }
    fn writes_checkpoints(&self) -> bool {
        false
    }
    fn agree(&mut self, _flags: u64) -> u64 {
        self.agreements += 1;
        self.writer
    }
}

fn trainer(spec: TrainSpec) -> Trainer<f64> {
    let dim = xor_objective(1).params().len();
    Trainer::new(build(all_specs()[1], dim, STEPS), spec).expect("valid")
}

fn spec() -> TrainSpec {
    TrainSpec {
        budget: Budget::steps(STEPS),
        record_every: 4,
        ..Default::default()
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dopamine-replicas-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

#[test]
fn single_process_is_run() {
    let mut a = xor_objective(2);
    let mut b = xor_objective(2);
    let ra = trainer(spec()).run(&mut a, &mut NoObserver).expect("runs");
    let rb = trainer(spec())
        .run_with(&mut b, &mut NoObserver, &mut SingleProcess)
        .expect("runs");
    assert_eq!(param_bits(a.params()), param_bits(b.params()));
    assert_eq!(ra.records.len(), rb.records.len());
}

#[test]
fn a_follower_ignores_its_own_clock_and_writes_nothing() {
    // Its own clock says "out of time" and "checkpoint now" after every
    // step; the writer says neither.
    let dir = temp_dir("clock");
    let mut s = spec();
    s.budget.seconds = Some(1e-9);
    let mut policy = CheckpointPolicy::new(&dir, 10);
    policy.every_seconds = Some(1e-9);
    let mut follower = Follower {
        writer: 0,
        agreements: 0,
    };
    let mut obj = xor_objective(2);
    let run = trainer(s)
        .with_checkpoints(policy)
        .expect("valid")
        .run_with(&mut obj, &mut NoObserver, &mut follower)
        .expect("runs");
    assert_eq!((run.stop, run.last.step), (StopReason::Steps, STEPS));
    assert!(!dir.exists(), "a follower writes no checkpoint");
    // One agreement on the clock per step, one on the observer per record.
    assert_eq!(follower.agreements, STEPS + STEPS / 4);
}

#[test]
fn a_follower_stops_when_the_writer_does() {
    // No clock settings: only the observer's decision is agreed, and the
    // writer's observer says stop.
    let mut follower = Follower {
        writer: u64::MAX,
        agreements: 0,
    };
    let mut obj = xor_objective(2);
    let run = trainer(spec())
        .run_with(&mut obj, &mut NoObserver, &mut follower)
        .expect("runs");
    assert_eq!((run.stop, run.last.step), (StopReason::Observer, 4));
    assert_eq!(follower.agreements, 1);
}

#[test]
fn a_follower_stops_when_the_writers_checkpoint_failed_under_stop() {
    let dir = temp_dir("failed");
    let mut policy = CheckpointPolicy::new(&dir, 10);
    policy.on_write_failure = OnWriteFailure::Stop;
    let mut s = spec();
    s.record_every = 100;
    let mut follower = Follower {
        writer: u64::MAX,
        agreements: 0,
    };
    let mut obj = xor_objective(2);
    let mut t = trainer(s).with_checkpoints(policy).expect("valid");
    match t.run_with(&mut obj, &mut NoObserver, &mut follower) {
        Err(TrainError::Checkpoint(CheckpointError::WriterFailed { step })) => assert_eq!(step, 10),
        other => panic!("expected WriterFailed, got {other:?}"),
    }
    assert!(t.checkpoint_failures().is_empty(), "the writer reports it");
    assert!(!dir.exists());
}
