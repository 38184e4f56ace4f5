//! Checkpoints that cannot be written: a write failing at each stage (injected), a full tmpfs, a folder removed or replaced by a file under the run. The previous checkpoint stays loadable, the error names the path, the run goes on or stops as configured, and the training itself is unchanged.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{all_specs, build, param_bits, xor_objective};
use dopamine_train::store::{InjectedFailure, WriteStage, file_name, list_checkpoints};
use dopamine_train::{
    Budget, CheckpointError, CheckpointFailure, CheckpointPolicy, Control, MlpObjective,
    NoObserver, Objective, Observer, OnWriteFailure, Record, TrainError, TrainSpec, Trainer,
    load_latest,
};

const STEPS: u64 = 60;
const EVERY: u64 = 10;
const FAIL_AT: u64 = 30;

fn train_spec(steps: u64) -> TrainSpec {
    TrainSpec {
        budget: Budget::steps(steps),
        record_every: 1,
        ..Default::default()
    }
}

fn trainer(steps: u64) -> Trainer<f64> {
    let dim = xor_objective(1).params().len();
    Trainer::new(build(all_specs()[2], dim, steps), train_spec(steps)).expect("valid")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dopamine-wfail-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

/// The parameters of the run without checkpoints.
fn uninterrupted(steps: u64) -> Vec<u64> {
    let mut obj = xor_objective(4);
    trainer(steps).run(&mut obj, &mut NoObserver).expect("runs");
    param_bits(obj.params())
}

fn temporaries(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

/// Collects the failures and, at each one, what the folder holds then.
struct Watch<'a> {
    dir: &'a Path,
    failures: Vec<CheckpointFailure>,
    /// The newest loadable checkpoint's step and the temporary files left,
    /// at the moment of each failure.
    at_failure: Vec<(u64, Vec<String>)>,
}

impl<'a> Watch<'a> {
    fn new(dir: &'a Path) -> Self {
        Self {
            dir,
            failures: Vec::new(),
            at_failure: Vec::new(),
        }
    }
}

impl Observer<MlpObjective<f64>> for Watch<'_> {
    fn observe(&mut self, _: &Record, _: &mut MlpObjective<f64>) -> Control {
        Control::Continue
    }
    fn checkpoint_failed(&mut self, failure: &CheckpointFailure) {
        let loaded = load_latest::<f64>(self.dir).expect("the previous checkpoint loads");
        assert!(loaded.skipped.is_empty(), "{:?}", loaded.skipped);
        self.at_failure
            .push((loaded.checkpoint.step(), temporaries(self.dir)));
        self.failures.push(failure.clone());
    }
}

fn policy(dir: &Path, stage: WriteStage, on_failure: OnWriteFailure) -> CheckpointPolicy {
    let mut p = CheckpointPolicy::new(dir, EVERY);
    p.keep = 2;
    p.on_write_failure = on_failure;
    p.inject_failure = Some(InjectedFailure {
        stage,
        step: Some(FAIL_AT),
    });
    p
}

/// The path a failure at `stage` must name.
fn named_path(dir: &Path, stage: WriteStage) -> PathBuf {
    let name = file_name(FAIL_AT);
    match stage {
        WriteStage::CreateDir | WriteStage::SyncDir | WriteStage::Rotate => dir.to_path_buf(),
        WriteStage::Create | WriteStage::Write | WriteStage::Sync => {
            dir.join(format!(".{name}.tmp"))
        }
        WriteStage::Rename => dir.join(name),
    }
}

/// Stages after which the new file is already in place (and valid).
fn in_place(stage: WriteStage) -> bool {
    matches!(stage, WriteStage::SyncDir | WriteStage::Rotate)
}

#[test]
fn a_write_failing_at_any_stage_is_reported_and_the_run_goes_on_unchanged() {
    let expected = uninterrupted(STEPS);
    for stage in WriteStage::ALL {
        let dir = temp_dir(&format!("continue-{stage:?}"));
        let mut obj = xor_objective(4);
        let mut t = trainer(STEPS)
            .with_checkpoints(policy(&dir, stage, OnWriteFailure::Continue))
            .expect("valid");
        let mut watch = Watch::new(&dir);
        let run = t.run(&mut obj, &mut watch).expect("goes on");
        let what = format!("{stage:?}");

        assert_eq!(
            param_bits(obj.params()),
            expected,
            "{what}: training unchanged"
        );
        assert_eq!(run.checkpoint_failures, watch.failures, "{what}");
        assert_eq!(run.checkpoint_failures, t.checkpoint_failures(), "{what}");
        let [failure] = &run.checkpoint_failures[..] else {
            panic!(
                "{what}: one failure expected: {:?}",
                run.checkpoint_failures
            );
        };
        assert_eq!(failure.step, FAIL_AT, "{what}");
        assert_eq!(failure.path, named_path(&dir, stage), "{what}");
        let shown = failure.path.display().to_string();
        assert!(failure.error.contains(&shown), "{what}: {}", failure.error);
        assert!(failure.to_string().contains(&shown), "{what}: {failure}");
        // At the failure: the previous checkpoint loaded, no temporary left.
        let previous = if in_place(stage) {
            FAIL_AT
        } else {
            FAIL_AT - EVERY
        };
        assert_eq!(watch.at_failure, [(previous, vec![])], "{what}");
        // Afterwards the run wrote on and rotated as usual.
        let steps: Vec<u64> = list_checkpoints(&dir)
            .expect("lists")
            .iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(steps, [STEPS - EVERY, STEPS], "{what}");
        assert!(temporaries(&dir).is_empty(), "{what}");
        fs::remove_dir_all(&dir).ok();
    }
}

#[test]
fn a_write_failing_at_any_stage_stops_the_run_when_configured_and_it_resumes_bit_for_bit() {
    let expected = uninterrupted(STEPS);
    for stage in WriteStage::ALL {
        let dir = temp_dir(&format!("stop-{stage:?}"));
        let mut obj = xor_objective(4);
        let mut t = trainer(STEPS)
            .with_checkpoints(policy(&dir, stage, OnWriteFailure::Stop))
            .expect("valid");
        let mut watch = Watch::new(&dir);
        let what = format!("{stage:?}");
        match t.run(&mut obj, &mut watch) {
            Err(TrainError::Checkpoint(CheckpointError::Io { path, source })) => {
                assert_eq!(path, named_path(&dir, stage), "{what}");
                assert!(source.to_string().contains("injected"), "{what}: {source}");
            }
            other => panic!("{what}: expected the write's error, got {other:?}"),
        }
        assert_eq!(t.state().current.step, FAIL_AT, "{what}: stopped there");
        assert_eq!(watch.failures.len(), 1, "{what}: reported before stopping");
        assert_eq!(t.checkpoint_failures(), watch.failures, "{what}");
        // The trainer still holds the state, and the disk the previous one.
        t.checkpoint(&obj).expect("the state is whole");
        let loaded = load_latest::<f64>(&dir).expect("loads");
        let previous = if in_place(stage) {
            FAIL_AT
        } else {
            FAIL_AT - EVERY
        };
        assert_eq!(loaded.checkpoint.step(), previous, "{what}");
        assert!(temporaries(&dir).is_empty(), "{what}");
        drop(t);

        let mut fresh = xor_objective(99);
        let dim = fresh.params().len();
        let mut resumed = Trainer::resume(
            loaded.checkpoint,
            build(all_specs()[2], dim, STEPS),
            &mut fresh,
        )
        .expect("resumes");
        resumed.run(&mut fresh, &mut NoObserver).expect("runs");
        assert_eq!(param_bits(fresh.params()), expected, "{what}: resumed");
        fs::remove_dir_all(&dir).ok();
    }
}

/// A file system action at the observer call of a step.
type Action = Box<dyn Fn(&Path)>;

struct AtSteps<'a> {
    dir: &'a Path,
    actions: Vec<(u64, Action)>,
    failures: Vec<CheckpointFailure>,
}

impl Observer<MlpObjective<f64>> for AtSteps<'_> {
    fn observe(&mut self, record: &Record, _: &mut MlpObjective<f64>) -> Control {
        for (step, action) in &self.actions {
            if *step == record.step {
                action(self.dir);
            }
        }
        Control::Continue
    }
    fn checkpoint_failed(&mut self, failure: &CheckpointFailure) {
        self.failures.push(failure.clone());
    }
}

#[test]
fn a_folder_removed_under_the_run_is_made_again_and_a_file_in_its_place_is_reported() {
    let expected = uninterrupted(STEPS);
    let dir = temp_dir("removed");
    let moved = dir.with_extension("moved");
    let _ = fs::remove_dir_all(&moved);
    let m = moved.clone();
    let m2 = moved.clone();
    let mut watch = AtSteps {
        dir: &dir,
        actions: vec![
            // After the checkpoint of step 10: the folder vanishes.
            (
                15,
                Box::new(|d: &Path| fs::remove_dir_all(d).expect("removes")),
            ),
            // After that of 20: the folder is moved away and a file takes
            // its path (what a read-only or unusable folder looks like to a
            // writer running as root, whom permissions do not stop).
            (
                25,
                Box::new(move |d: &Path| {
                    fs::rename(d, &m).expect("moves");
                    fs::write(d, b"not a folder").expect("writes");
                }),
            ),
            // Before 50: the folder is back.
            (
                45,
                Box::new(move |d: &Path| {
                    fs::remove_file(d).expect("removes the file");
                    fs::rename(&m2, d).expect("moves back");
                }),
            ),
        ],
        failures: Vec::new(),
    };
    let mut obj = xor_objective(4);
    let mut p = CheckpointPolicy::new(&dir, EVERY);
    p.keep = 10;
    let mut t = trainer(STEPS).with_checkpoints(p).expect("valid");
    let run = t.run(&mut obj, &mut watch).expect("goes on");
    assert_eq!(param_bits(obj.params()), expected);
    let failed: Vec<u64> = run.checkpoint_failures.iter().map(|f| f.step).collect();
    assert_eq!(failed, [30, 40], "{:?}", run.checkpoint_failures);
    for f in &run.checkpoint_failures {
        assert_eq!(f.path, dir, "the error names the folder");
        assert!(f.error.contains(&dir.display().to_string()), "{}", f.error);
    }
    assert_eq!(watch.failures, run.checkpoint_failures);
    let steps: Vec<u64> = list_checkpoints(&dir)
        .expect("lists")
        .iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(steps, [20, 50, 60], "10 went with the removed folder");
    fs::remove_dir_all(&dir).ok();
}

/// A tmpfs mount that is unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. `64k`), or says why it cannot.
    fn mount(name: &str, size: &str) -> Result<Self, String> {
        let dir = temp_dir(name);
        fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if out.status.success() {
            Ok(Self(dir))
        } else {
            let _ = fs::remove_dir(&dir);
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = fs::remove_dir(&self.0);
    }
}

#[test]
fn a_full_disk_fails_writes_without_harm_and_the_run_goes_on() {
    // Checkpoints grow with the records (one per step here); on a 64 KiB
    // tmpfs the writes start failing for lack of space part way.
    let tmpfs = match Tmpfs::mount("tmpfs", "64k") {
        Ok(t) => t,
        Err(why) => {
            println!("SKIPPED: cannot mount a tmpfs ({why}); the injected failures cover this");
            eprintln!("SKIPPED: cannot mount a tmpfs ({why}); the injected failures cover this");
            return;
        }
    };
    let steps = 800;
    let expected = uninterrupted(steps);
    let dir = tmpfs.0.join("ckpt");
    let mut p = CheckpointPolicy::new(&dir, 20);
    p.keep = 3;
    let mut obj = xor_objective(4);
    let mut t = trainer(steps).with_checkpoints(p).expect("valid");
    let mut watch = Watch::new(&dir);
    let run = t.run(&mut obj, &mut watch).expect("goes on");
    assert_eq!(param_bits(obj.params()), expected);
    let failures = &run.checkpoint_failures;
    assert!(!failures.is_empty(), "64 KiB must run out");
    println!(
        "first failure at step {} of {steps}: {}",
        failures[0].step, failures[0].error
    );
    for (f, (loaded, tmps)) in failures.iter().zip(&watch.at_failure) {
        assert!(
            f.error.contains("No space left") || f.error.contains("space"),
            "{f}"
        );
        assert!(f.error.contains(&dir.display().to_string()), "{f}");
        assert!(*loaded < f.step, "an older checkpoint loaded at {f}");
        assert!(tmps.is_empty(), "no temporary left at {f}: {tmps:?}");
    }
    let loaded = load_latest::<f64>(&dir).expect("the newest that fit loads");
    assert!(loaded.skipped.is_empty());
    assert!(loaded.checkpoint.step() < failures[0].step);
    assert!(list_checkpoints(&dir).expect("lists").len() <= 3);
}

#[test]
fn checkpoints_every_few_seconds_and_bad_intervals() {
    let dir = temp_dir("seconds");
    let mut p = CheckpointPolicy::new(&dir, u64::MAX);
    p.every_seconds = Some(1e-9);
    p.keep = 4;
    let mut obj = xor_objective(4);
    let mut t = trainer(30).with_checkpoints(p).expect("valid");
    t.run(&mut obj, &mut NoObserver).expect("runs");
    let steps: Vec<u64> = list_checkpoints(&dir)
        .expect("lists")
        .iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(steps, [27, 28, 29, 30], "a checkpoint after every step");
    fs::remove_dir_all(&dir).ok();

    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let mut p = CheckpointPolicy::new(&dir, 10);
        p.every_seconds = Some(bad);
        match trainer(30).with_checkpoints(p) {
            Err(TrainError::Spec(e)) => assert_eq!(e.field, "every_seconds"),
            other => panic!("{bad}: expected a spec error, got {other:?}"),
        }
    }
}
