//! SIGKILL survival: a child process (this test binary re-run) trains with checkpoints and is killed mid-training and mid-save; the run resumed in-process equals an uninterrupted run bit for bit.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_same_records, param_bits, xor_objective};
use dopamine_train::store::{PauseBeforeRename, file_name, list_checkpoints};
use dopamine_train::{
    Budget, Checkpoint, CheckpointPolicy, Dopamine2Settings, NoObserver, Objective, Optimizer,
    OptimizerSpec, PassCost, RunResult, TrainSpec, Trainer, load_latest,
};

/// Set in the child: the checkpoint folder.
const CHILD_DIR: &str = "DOPAMINE_KILL_TEST_CHILD_DIR";
/// Set in the child for the mid-save test: the step whose save pauses.
const CHILD_PAUSE_AT: &str = "DOPAMINE_KILL_TEST_PAUSE_AT";
const STEPS: u64 = 600;
const EVERY: u64 = 20;

fn spec() -> OptimizerSpec {
    OptimizerSpec::Dopamine2(Dopamine2Settings::new(common::perturb(), 0.9, 0.5))
}

fn train_spec() -> TrainSpec {
    TrainSpec {
        budget: Budget::steps(STEPS),
        record_every: 5,
        ..Default::default()
    }
}

fn optimizer(dim: usize) -> Box<dyn Optimizer<f64>> {
    spec().build(dim, 21, STEPS).expect("valid")
}

fn new_trainer(dim: usize) -> Trainer<f64> {
    Trainer::new(optimizer(dim), train_spec()).expect("valid")
}

/// The objective, slowed down (same values) so the parent can catch the child mid-run.
struct Slow<O>(O);

impl<O: Objective<f64>> Objective<f64> for Slow<O> {
    fn params(&self) -> &[f64] {
        self.0.params()
    }
    fn params_mut(&mut self) -> &mut [f64] {
        self.0.params_mut()
    }
    fn loss(&mut self) -> f64 {
        std::thread::sleep(Duration::from_millis(2));
        self.0.loss()
    }
    fn loss_at(&mut self, params: &[f64]) -> f64 {
        std::thread::sleep(Duration::from_millis(2));
        self.0.loss_at(params)
    }
    fn loss_and_gradient(&mut self, grad: &mut [f64]) -> Option<f64> {
        self.0.loss_and_gradient(grad)
    }
    fn cost(&self) -> PassCost {
        self.0.cost()
    }
}

/// The child's work, run only when the tests below spawn this binary with
/// `--ignored --exact child_entry` and the checkpoint folder in the
/// environment; `#[ignore]` keeps a plain test run from running it (it
/// would train for seconds and prove nothing there).
#[test]
#[ignore = "the child process of the SIGKILL tests; run only when they spawn it"]
fn child_entry() {
    let dir = std::env::var(CHILD_DIR).expect("spawned by a SIGKILL test with the folder set");
    let mut policy = CheckpointPolicy::new(PathBuf::from(dir), EVERY);
    policy.keep = 3;
    if let Some(step) = std::env::var(CHILD_PAUSE_AT)
        .ok()
        .and_then(|s| s.parse().ok())
    {
        policy.pause_before_rename = Some(PauseBeforeRename {
            step,
            pause: Duration::from_secs(60),
        });
    }
    let mut obj = Slow(xor_objective(4));
    let dim = obj.params().len();
    let mut trainer = new_trainer(dim).with_checkpoints(policy).expect("valid");
    trainer.run(&mut obj, &mut NoObserver).expect("runs");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dopamine-kill-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn spawn_child(dir: &Path, pause_at: Option<u64>) -> Child {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args([
        "child_entry",
        "--exact",
        "--ignored",
        "--test-threads=1",
        "--nocapture",
    ])
    .env(CHILD_DIR, dir)
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    match pause_at {
        Some(step) => cmd.env(CHILD_PAUSE_AT, step.to_string()),
        None => cmd.env_remove(CHILD_PAUSE_AT),
    };
    cmd.spawn().expect("child starts")
}

/// Waits (polling) until `ready` holds; fails if the child exits first.
fn wait_for(child: &mut Child, what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        if let Some(status) = child.try_wait().expect("child status") {
            panic!("child exited ({status}) before {what}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn kill(child: &mut Child) {
    assert!(
        child.try_wait().expect("child status").is_none(),
        "the child must still be running when killed"
    );
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
}

fn uninterrupted() -> (Vec<u64>, RunResult) {
    let mut obj = xor_objective(4);
    let dim = obj.params().len();
    let run = new_trainer(dim)
        .run(&mut obj, &mut NoObserver)
        .expect("runs");
    (param_bits(obj.params()), run)
}

/// Resumes from the newest valid checkpoint in `dir` and checks the result.
fn resume_and_compare(dir: &Path, expect_step: u64) {
    let loaded = load_latest(dir).expect("a complete checkpoint");
    assert!(loaded.skipped.is_empty(), "{:?}", loaded.skipped);
    assert_eq!(loaded.checkpoint.step(), expect_step);
    let mut obj = xor_objective(77);
    let dim = obj.params().len();
    let mut trainer = Trainer::resume(loaded.checkpoint, optimizer(dim), &mut obj)
        .expect("resumes")
        .with_checkpoints(CheckpointPolicy::new(dir, EVERY))
        .expect("valid");
    let run = trainer.run(&mut obj, &mut NoObserver).expect("runs");
    let (params, full) = uninterrupted();
    assert_eq!(param_bits(obj.params()), params);
    assert_same_records(&run.records, &full.records, "resumed after SIGKILL");
    // The resumed run wrote on, and cleared the killed writer's temporary file.
    let steps: Vec<u64> = list_checkpoints(dir)
        .expect("lists")
        .iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(steps.last(), Some(&STEPS));
    let leftovers = std::fs::read_dir(dir)
        .expect("reads")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn sigkill_mid_training_resumes_from_the_last_checkpoint() {
    let dir = temp_dir("training");
    let mut child = spawn_child(&dir, None);
    wait_for(&mut child, "three checkpoints", || {
        list_checkpoints(&dir).is_ok_and(|c| c.len() >= 3)
    });
    kill(&mut child);
    let last = list_checkpoints(&dir)
        .expect("lists")
        .last()
        .expect("some")
        .0;
    assert!(last < STEPS, "killed before the end");
    resume_and_compare(&dir, last);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sigkill_mid_save_resumes_from_the_last_complete_checkpoint() {
    let dir = temp_dir("save");
    let pause_at = 3 * EVERY;
    let mut child = spawn_child(&dir, Some(pause_at));
    let tmp = dir.join(format!(".{}.tmp", file_name(pause_at)));
    // The temporary file is whole (it reads back as a checkpoint), so the
    // writer is past it and paused before the rename: the kill lands there.
    wait_for(&mut child, "the paused save", || {
        std::fs::read(&tmp).is_ok_and(|b| Checkpoint::<f64>::from_bytes(&b).is_ok())
    });
    kill(&mut child);
    assert!(tmp.exists(), "the temporary file is left behind");
    assert!(!dir.join(file_name(pause_at)).exists(), "never renamed");
    resume_and_compare(&dir, 2 * EVERY);
    std::fs::remove_dir_all(&dir).ok();
}
