//! Proof by killing: a 2-rank `mpirun` job of `dist_check` writes checkpoints, one rank is killed with SIGKILL (mid-run, and mid-save with the writer paused between its temporary file and the rename), the job dies, and the run resumed from the folder on 1, 2 and 3 ranks ends with the `params_hash` of an uninterrupted single-process run.

mod common;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::{expected_hash_line, mpirun, mpirun_available, one_at_a_time};
use dopamine_dist::demo::{DemoRule, DemoSpec, RunOptions, train_single};
use dopamine_train::Checkpoint;
use dopamine_train::store::{file_name, list_checkpoints};

const EVERY: u64 = 10;

fn spec() -> DemoSpec {
    DemoSpec {
        rule: DemoRule::Dopamine2,
        probes: 4,
        steps: 160,
        ..DemoSpec::default()
    }
}

/// A fresh folder for one test, with `ckpt/` (the checkpoints), `pids/`
/// (one file per rank) and the killed job's output.
struct Scratch {
    root: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Self {
        let root =
            std::env::temp_dir().join(format!("dopamine-dist-kill-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("pids")).expect("creates the scratch folder");
        Self { root }
    }
    fn ckpt(&self) -> PathBuf {
        self.root.join("ckpt")
    }
    fn pids(&self) -> PathBuf {
        self.root.join("pids")
    }
    fn log(&self) -> String {
        let read = |name: &str| fs::read_to_string(self.root.join(name)).unwrap_or_default();
        format!(
            "stdout:\n{}\nstderr:\n{}",
            read("job.stdout"),
            read("job.stderr")
        )
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// Starts the 2-rank job that will be killed; `env` adds test hooks.
fn start_job(scratch: &Scratch, env: &[(&str, String)]) -> Child {
    let mut env = env.to_vec();
    env.push((
        "DOPAMINE_DIST_TEST_PID_DIR",
        scratch.pids().display().to_string(),
    ));
    let dir = scratch.ckpt().display().to_string();
    let every = EVERY.to_string();
    mpirun(
        2,
        &spec(),
        &["--checkpoint", &dir, "--every", &every, "--keep", "3"],
        &env,
    )
    .stdout(File::create(scratch.root.join("job.stdout")).expect("log file"))
    .stderr(File::create(scratch.root.join("job.stderr")).expect("log file"))
    .spawn()
    .expect("mpirun starts")
}

/// Polls until `ready` holds; fails if the job ends first or after a minute.
fn wait_for(job: &mut Child, scratch: &Scratch, what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        if let Some(status) = job.try_wait().expect("job status") {
            panic!("the job ended ({status}) before {what}\n{}", scratch.log());
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = job.kill();
            panic!("timed out waiting for {what}\n{}", scratch.log());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn pid_of(scratch: &Scratch, rank: usize) -> Option<u32> {
    fs::read_to_string(scratch.pids().join(format!("rank-{rank}.pid")))
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn alive(pid: u32) -> bool {
    // A reaped process has no /proc entry; a zombie's state is `Z`.
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .is_some_and(|s| !s.trim_start().starts_with('Z'))
    })
}

/// SIGKILLs `rank`, then waits for the job to die (MPI ends a job whose
/// rank died) and for every rank to be gone.
fn kill_rank(job: &mut Child, scratch: &Scratch, rank: usize) {
    let pid = pid_of(scratch, rank).expect("the rank wrote its pid");
    assert!(alive(pid), "rank {rank} must be running when killed");
    // The shell's own `kill`: no procps needed.
    let status = Command::new("sh")
        .args(["-c", &format!("kill -KILL {pid}")])
        .status()
        .expect("sh runs");
    assert!(status.success(), "kill -KILL {pid}");
    let start = Instant::now();
    let ended = loop {
        if let Some(status) = job.try_wait().expect("job status") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = job.kill();
            panic!(
                "mpirun did not end after rank {rank} was killed\n{}",
                scratch.log()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(
        !ended.success(),
        "a job with a killed rank must fail\n{}",
        scratch.log()
    );
    for r in 0..2 {
        let pid = pid_of(scratch, r).expect("pid");
        let start = Instant::now();
        while alive(pid) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "rank {r} (pid {pid}) outlived the job"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("creates");
    for entry in fs::read_dir(from).expect("reads") {
        let entry = entry.expect("entry");
        fs::copy(entry.path(), to.join(entry.file_name())).expect("copies");
    }
}

/// Resumes copies of the killed job's folder on 1, 2 and 3 ranks; each must
/// start from `from_step` and end with `expected`.
fn resume_everywhere(scratch: &Scratch, from_step: u64, expected: &str) {
    for np in [1, 2, 3] {
        let dir = scratch.root.join(format!("resume-{np}"));
        copy_dir(&scratch.ckpt(), &dir);
        let dir_arg = dir.display().to_string();
        let out = mpirun(np, &spec(), &["--checkpoint", &dir_arg, "--resume"], &[])
            .output()
            .expect("mpirun starts");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "resume on {np} ranks failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status
        );
        println!("resumed on {np}: {}", stdout.trim());
        assert!(
            stdout.contains(&format!("resumed_from {from_step} ")),
            "resume on {np} ranks must start at step {from_step}\n{stdout}"
        );
        assert_eq!(
            stdout.lines().last(),
            Some(expected),
            "resume on {np} ranks\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        // The resumed run wrote on to the end and cleared the temporary file
        // a killed writer left.
        let files = list_checkpoints(&dir).expect("lists");
        assert_eq!(files.last().map(|f| f.0), Some(spec().steps));
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .expect("reads")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

fn reference() -> String {
    let single = train_single(&spec(), &RunOptions::default()).expect("trains");
    expected_hash_line(single.hash)
}

#[test]
fn a_rank_killed_mid_run_resumes_on_1_2_and_3_ranks_bit_for_bit() {
    if !mpirun_available() {
        return;
    }
    let _one_at_a_time = one_at_a_time();
    let expected = reference();
    let scratch = Scratch::new("run");
    let mut job = start_job(
        &scratch,
        &[("DOPAMINE_DIST_TEST_THROTTLE_MS", "10".to_string())],
    );
    let ckpt = scratch.ckpt();
    wait_for(
        &mut job,
        &scratch,
        "three checkpoints and both pids",
        || {
            pid_of(&scratch, 0).is_some()
                && pid_of(&scratch, 1).is_some()
                && list_checkpoints(&ckpt).is_ok_and(|c| c.len() >= 3)
        },
    );
    // Rank 1 does not write; killing it still ends the job.
    kill_rank(&mut job, &scratch, 1);
    let last = list_checkpoints(&ckpt)
        .expect("lists")
        .last()
        .expect("some")
        .0;
    assert!(
        (3 * EVERY..spec().steps).contains(&last),
        "killed mid-run, after step {last}"
    );
    resume_everywhere(&scratch, last, &expected);
}

#[test]
fn the_writer_killed_mid_save_resumes_from_the_last_whole_checkpoint() {
    if !mpirun_available() {
        return;
    }
    let _one_at_a_time = one_at_a_time();
    let expected = reference();
    let scratch = Scratch::new("save");
    let pause_at = 4 * EVERY;
    let mut job = start_job(
        &scratch,
        &[(
            "DOPAMINE_DIST_TEST_PAUSE_BEFORE_RENAME",
            pause_at.to_string(),
        )],
    );
    let ckpt = scratch.ckpt();
    let tmp = ckpt.join(format!(".{}.tmp", file_name(pause_at)));
    // The temporary file is whole (it reads back as a checkpoint) and the
    // writer is paused before the rename: the kill lands mid-save.
    wait_for(&mut job, &scratch, "the paused save", || {
        pid_of(&scratch, 0).is_some()
            && pid_of(&scratch, 1).is_some()
            && fs::read(&tmp).is_ok_and(|b| Checkpoint::<f64>::from_bytes(&b).is_ok())
    });
    kill_rank(&mut job, &scratch, 0);
    assert!(tmp.exists(), "the temporary file is left behind");
    assert!(!ckpt.join(file_name(pause_at)).exists(), "never renamed");
    let steps: Vec<u64> = list_checkpoints(&ckpt)
        .expect("lists")
        .iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(steps, [EVERY, 2 * EVERY, 3 * EVERY]);
    resume_everywhere(&scratch, 3 * EVERY, &expected);
}
