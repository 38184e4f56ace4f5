//! A trainer run spread over thread ranks ([`DistributedRun`]) is the single-process run bit for bit (parameters, records, safety net) for every distributed optimizer on 1 to 4 ranks; its checkpoints are written by rank 0 only and resume on any rank count; clock decisions and write failures are agreed; damaged folders are refused on every rank.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use dopamine_core::{
    AdaptiveCoding, Dopamine1Rule, Dopamine2Rule, OpenEsConfig, OpenEsRule, PerturbConfig,
    PerturbationOptimizer, RpeMode, SnesConfig, WpConfig, WpRule,
};
use dopamine_dist::demo::{DemoRule, DemoSpec, RunOptions, train_distributed, train_single};
use dopamine_dist::{
    Communicator, DistributedRun, ThreadCommunicator, load_latest_shared, param_hash,
};
use dopamine_train::store::{InjectedFailure, WriteStage, file_name, list_checkpoints};
use dopamine_train::{
    Budget, CheckpointError, CheckpointPolicy, FnObjective, NoObserver, Objective, OnWriteFailure,
    Optimizer, Record, RunResult, SnesOptimizer, StopReason, TrainError, TrainSpec, Trainer,
    load_latest,
};

const DIM: usize = 23;
const STEPS: u64 = 60;

fn start() -> Vec<f64> {
    (0..DIM)
        .map(|i| ((i * 7919) % 101) as f64 * 0.0371 - 1.7)
        .collect()
}

/// A bumpy loss that is NaN far from the origin, so that large steps hit
/// the safety net.
fn loss(w: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, x) in w.iter().enumerate() {
        let d = x - (i as f64 * 0.13).sin();
        s += d * d + 0.1 * (3.0 * x).sin();
    }
    if w.iter().any(|x| x.abs() > 4.0) {
        f64::NAN
    } else {
        s
    }
}

/// The loss as an objective that prefers population steps, as the
/// distributed step is one: a single-process run then charges every point
/// of a rejected step too, so the records match bit for bit. (Through
/// ask/tell a rejected step stops early and is charged fewer passes; the
/// parameters are the same either way.)
struct Bumpy(Vec<f64>);

impl Objective<f64> for Bumpy {
    fn params(&self) -> &[f64] {
        &self.0
    }
    fn params_mut(&mut self) -> &mut [f64] {
        &mut self.0
    }
    fn loss(&mut self) -> f64 {
        loss(&self.0)
    }
    fn loss_at(&mut self, params: &[f64]) -> f64 {
        loss(params)
    }
    fn prefers_population(&self) -> bool {
        true
    }
}

fn objective() -> Bumpy {
    Bumpy(start())
}

#[derive(Clone, Copy, Debug)]
enum Rule {
    Wp,
    D1,
    D2,
    OpenEs,
    Snes,
}

const RULES: [Rule; 5] = [Rule::Wp, Rule::D1, Rule::D2, Rule::OpenEs, Rule::Snes];

fn optimizer(rule: Rule, rpe: RpeMode, eta: f64) -> Box<dyn Optimizer<f64>> {
    let base = match rule {
        Rule::OpenEs => PerturbConfig::antithetic(),
        _ => PerturbConfig {
            rpe,
            ..Default::default()
        },
    };
    let config = PerturbConfig {
        sigma: 0.03,
        eta,
        probes: 3,
        seed: 11,
        ..base
    };
    match rule {
        // SNES has no RPE mode; its mean moves at `eta` times the natural gradient.
        Rule::Snes => Box::new(
            SnesOptimizer::new(
                SnesConfig {
                    eta_mu: eta.min(1.0),
                    population: 6,
                    seed: 11,
                    ..SnesConfig::new(DIM, 0.03 * (1.0 + eta))
                },
                DIM,
            )
            .unwrap(),
        ),
        Rule::Wp => Box::new(
            PerturbationOptimizer::new(config, WpRule::new(WpConfig::default()), DIM).unwrap(),
        ),
        Rule::D1 => {
            Box::new(PerturbationOptimizer::new(config, Dopamine1Rule::default(), DIM).unwrap())
        }
        Rule::D2 => Box::new(
            PerturbationOptimizer::new(
                config,
                Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, vec![0.0; DIM]),
                DIM,
            )
            .unwrap(),
        ),
        Rule::OpenEs => Box::new(
            PerturbationOptimizer::new(
                config,
                OpenEsRule::new(OpenEsConfig::default(), vec![0.0; 2 * DIM]),
                DIM,
            )
            .unwrap(),
        ),
    }
}

fn train_spec() -> TrainSpec {
    TrainSpec {
        budget: Budget::steps(STEPS),
        record_every: 3,
        max_consecutive_rejections: u64::MAX,
        ..Default::default()
    }
}

/// A record's fields as bits, wall time left out.
fn record_bits(r: &Record) -> [u64; 10] {
    [
        r.step,
        r.loss.to_bits(),
        r.effective_eta.to_bits(),
        r.last_delta.to_bits(),
        r.expected_rpe.to_bits(),
        r.surprise_size.to_bits(),
        r.rejected_steps,
        r.forward_passes,
        r.backward_passes,
        r.flops,
    ]
}

fn same_run(a: &RunResult, b: &RunResult, what: &str) {
    assert_eq!(a.stop, b.stop, "{what}");
    assert_eq!(a.records.len(), b.records.len(), "{what}: record counts");
    for (x, y) in a.records.iter().zip(&b.records) {
        assert_eq!(record_bits(x), record_bits(y), "{what}: step {}", x.step);
    }
}

/// Runs `f(rank's communicator)` on `size` thread ranks and returns each
/// rank's result in rank order; fails after a minute (a collective that
/// some rank never reaches would hang).
fn on_ranks<R: Send + 'static>(
    size: usize,
    f: impl Fn(ThreadCommunicator) -> R + Send + Sync + Clone + 'static,
) -> Vec<R> {
    let (tx, rx) = mpsc::channel();
    for comm in ThreadCommunicator::group(size) {
        let tx = tx.clone();
        let f = f.clone();
        std::thread::spawn(move || {
            let rank = comm.rank();
            let out = f(comm);
            let _ = tx.send((rank, out));
        });
    }
    drop(tx);
    let mut results: Vec<Option<R>> = (0..size).map(|_| None).collect();
    for _ in 0..size {
        let (rank, out) = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("every rank finishes (a hang means a collective was missed)");
        results[rank] = Some(out);
    }
    results
        .into_iter()
        .map(|r| r.expect("each rank once"))
        .collect()
}

fn single(rule: Rule, rpe: RpeMode, eta: f64) -> (RunResult, u64) {
    let mut obj = objective();
    let mut trainer = Trainer::new(optimizer(rule, rpe, eta), train_spec()).unwrap();
    let run = trainer.run(&mut obj, &mut NoObserver).unwrap();
    // The ask/tell path (a loss closure) ends with the same parameters.
    let mut closure = FnObjective::new(start(), loss, 0);
    Trainer::new(optimizer(rule, rpe, eta), train_spec())
        .unwrap()
        .run(&mut closure, &mut NoObserver)
        .unwrap();
    assert_eq!(param_hash(closure.params()), param_hash(obj.params()));
    (run, param_hash(obj.params()))
}

fn distributed(comm: &ThreadCommunicator, rule: Rule, rpe: RpeMode, eta: f64) -> (RunResult, u64) {
    let mut obj = objective();
    let mut trainer = Trainer::new(optimizer(rule, rpe, eta), train_spec()).unwrap();
    let mut ranks = DistributedRun::new(comm, DIM);
    let run = trainer
        .run_with(&mut obj, &mut NoObserver, &mut ranks)
        .unwrap();
    (run, param_hash(obj.params()))
}

#[test]
fn a_distributed_trainer_run_is_the_single_process_run_for_every_rule_on_1_to_4_ranks() {
    let mut rejected = 0;
    for rule in RULES {
        for rpe in [RpeMode::Forward, RpeMode::Antithetic] {
            // A small rate, and one large enough to leave the finite region
            // (updates undone, probes rejected).
            for eta in [0.02, 3.0] {
                let (reference, hash) = single(rule, rpe, eta);
                rejected += reference.last.rejected_steps;
                for size in 1..=4 {
                    let what = format!("{rule:?} {rpe:?} eta {eta} on {size} ranks");
                    for (rank, (run, h)) in
                        on_ranks(size, move |comm| distributed(&comm, rule, rpe, eta))
                            .into_iter()
                            .enumerate()
                    {
                        assert_eq!(h, hash, "{what}, rank {rank}");
                        same_run(&run, &reference, &format!("{what}, rank {rank}"));
                    }
                }
            }
        }
    }
    assert!(rejected > 0, "the safety net was never exercised");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "dopamine-dist-replicas-{name}-{}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn steps_in(dir: &Path) -> Vec<u64> {
    list_checkpoints(dir).unwrap().iter().map(|c| c.0).collect()
}

#[test]
fn rank_0_writes_the_checkpoints_and_they_resume_on_any_rank_count() {
    let spec = DemoSpec {
        rule: DemoRule::Dopamine2,
        probes: 4,
        steps: 40,
        hidden: 4,
        len: 30,
        ..DemoSpec::default()
    };
    let reference = train_single(&spec, &RunOptions::default()).unwrap();
    let dir = temp_dir("anycount");
    let mut policy = CheckpointPolicy::new(&dir, 10);
    policy.keep = 10;
    let options = RunOptions {
        checkpoints: Some(policy),
        verify_each_step: true,
        ..RunOptions::default()
    };
    let opts = options.clone();
    let results = on_ranks(2, move |comm| {
        train_distributed(&spec, &comm, &opts).unwrap()
    });
    for r in &results {
        assert_eq!(r.hash, reference.hash);
    }
    assert_eq!(
        steps_in(&dir),
        [10, 20, 30, 40],
        "one writer, every 10 steps"
    );

    // Keep only the checkpoints up to step 20, as if the job died at 25.
    for (step, path) in list_checkpoints(&dir).unwrap() {
        if step > 20 {
            fs::remove_file(path).unwrap();
        }
    }
    for size in [1, 3, 4] {
        let copy = temp_dir(&format!("anycount-{size}"));
        fs::create_dir_all(&copy).unwrap();
        for (_, path) in list_checkpoints(&dir).unwrap() {
            fs::copy(&path, copy.join(path.file_name().unwrap())).unwrap();
        }
        let mut policy = CheckpointPolicy::new(&copy, 10);
        policy.keep = 10;
        let opts = RunOptions {
            checkpoints: Some(policy),
            resume: true,
            verify_each_step: true,
            ..RunOptions::default()
        };
        for r in on_ranks(size, move |comm| {
            train_distributed(&spec, &comm, &opts).unwrap()
        }) {
            assert_eq!(r.resumed_from, Some(20), "{size} ranks");
            assert_eq!(r.hash, reference.hash, "resumed on {size} ranks");
            assert_eq!(r.steps, spec.steps);
        }
        assert_eq!(steps_in(&copy), [10, 20, 30, 40]);
        fs::remove_dir_all(&copy).ok();
    }
    // And in one process, without MPI or thread ranks.
    let copy = temp_dir("anycount-single");
    fs::create_dir_all(&copy).unwrap();
    fs::copy(dir.join(file_name(20)), copy.join(file_name(20))).unwrap();
    let single = train_single(
        &spec,
        &RunOptions {
            checkpoints: Some(CheckpointPolicy::new(&copy, 10)),
            resume: true,
            ..RunOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        (single.resumed_from, single.hash),
        (Some(20), reference.hash)
    );
    fs::remove_dir_all(&copy).ok();
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn clock_decisions_are_rank_0s() {
    // Rank 0's clock says "checkpoint now" after every step and "out of
    // time" at once; the other ranks' settings say never. Every rank must
    // follow rank 0 (or the collectives would not match and the run hang).
    let dir = temp_dir("clock");
    let d = dir.clone();
    let results = on_ranks(3, move |comm| {
        let rank = comm.rank();
        let mut policy = CheckpointPolicy::new(&d, u64::MAX);
        policy.keep = 100;
        policy.on_write_failure = OnWriteFailure::Stop;
        policy.every_seconds = Some(if rank == 0 { 1e-9 } else { 1e9 });
        let mut spec = train_spec();
        spec.budget = Budget {
            steps: Some(STEPS),
            seconds: Some(if rank == 0 { 1e-9 } else { 1e9 }),
            ..Budget::default()
        };
        let mut obj = objective();
        let mut trainer = Trainer::new(optimizer(Rule::D1, RpeMode::Forward, 0.02), spec)
            .unwrap()
            .with_checkpoints(policy)
            .unwrap();
        let mut ranks = DistributedRun::new(&comm, DIM);
        let run = trainer
            .run_with(&mut obj, &mut NoObserver, &mut ranks)
            .unwrap();
        (run.stop, run.last.step, param_hash(obj.params()))
    });
    for r in &results {
        assert_eq!(*r, results[0]);
    }
    assert_eq!(results[0].0, StopReason::Seconds);
    assert_eq!(
        results[0].1, 1,
        "rank 0 was out of time after the first step"
    );
    assert_eq!(steps_in(&dir), [1], "rank 0's clock asked for a checkpoint");
    fs::remove_dir_all(&dir).ok();
}

fn run_with_failure(
    comm: &ThreadCommunicator,
    dir: &Path,
    on_failure: OnWriteFailure,
) -> Result<RunResult, TrainError> {
    let mut policy = CheckpointPolicy::new(dir, 10);
    policy.keep = 10;
    policy.on_write_failure = on_failure;
    policy.inject_failure = Some(InjectedFailure {
        stage: WriteStage::Rename,
        step: Some(20),
    });
    let mut obj = objective();
    let mut trainer = Trainer::new(optimizer(Rule::D2, RpeMode::Forward, 0.02), train_spec())
        .unwrap()
        .with_checkpoints(policy)
        .unwrap();
    let mut ranks = DistributedRun::new(comm, DIM);
    trainer.run_with(&mut obj, &mut NoObserver, &mut ranks)
}

#[test]
fn a_failed_write_is_reported_by_rank_0_and_stops_every_rank_when_the_policy_says_so() {
    let dir = temp_dir("fail-continue");
    let d = dir.clone();
    let results = on_ranks(3, move |comm| {
        run_with_failure(&comm, &d, OnWriteFailure::Continue).unwrap()
    });
    let failures = &results[0].checkpoint_failures;
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].step, 20);
    assert_eq!(failures[0].path, dir.join(file_name(20)));
    assert!(
        failures[0].error.contains(&file_name(20)),
        "{}",
        failures[0].error
    );
    assert!(
        results[1].checkpoint_failures.is_empty(),
        "only rank 0 writes"
    );
    assert_eq!(steps_in(&dir), [10, 30, 40, 50, 60]);
    for r in &results {
        assert_eq!(r.last.step, STEPS);
    }
    fs::remove_dir_all(&dir).ok();

    let dir = temp_dir("fail-stop");
    let d = dir.clone();
    let results = on_ranks(3, move |comm| {
        run_with_failure(&comm, &d, OnWriteFailure::Stop)
    });
    match &results[0] {
        Err(TrainError::Checkpoint(CheckpointError::Io { path, .. })) => {
            assert_eq!(path, &dir.join(file_name(20)));
        }
        other => panic!("rank 0: expected the write's error, got {other:?}"),
    }
    for r in &results[1..] {
        assert!(
            matches!(
                r,
                Err(TrainError::Checkpoint(CheckpointError::WriterFailed {
                    step: 20
                }))
            ),
            "{r:?}"
        );
    }
    assert_eq!(steps_in(&dir), [10], "the earlier checkpoint stays");
    load_latest::<f64>(&dir).expect("and loads");
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_optimizer_without_a_population_step_is_refused() {
    let results = on_ranks(2, |comm| {
        let mut obj = objective();
        let adam = dopamine_train::OptimizerSpec::Adam(dopamine_train::AdamSettings { lr: 1e-3 })
            .build::<f64>(DIM, 0, STEPS)
            .unwrap();
        let mut trainer = Trainer::new(adam, train_spec()).unwrap();
        let mut ranks = DistributedRun::new(&comm, DIM);
        trainer.run_with(&mut obj, &mut NoObserver, &mut ranks)
    });
    for r in results {
        match r {
            Err(TrainError::Spec(e)) => {
                assert_eq!(e.field, "optimizer");
                assert!(e.reason.contains("no population step"), "{e}");
            }
            other => panic!("expected a spec error, got {other:?}"),
        }
    }
}

#[test]
fn resume_reads_rank_0s_folder_and_refuses_a_damaged_one_on_every_rank() {
    // No folder: every rank starts afresh.
    let missing = temp_dir("missing");
    let m = missing.clone();
    for r in on_ranks(3, move |comm| load_latest_shared::<f64, _>(&m, &comm)) {
        assert!(matches!(r, Ok(None)), "{r:?}");
    }

    // Two checkpoints, the newer damaged: every rank gets the older one.
    let dir = temp_dir("damaged");
    let spec = DemoSpec {
        steps: 20,
        hidden: 4,
        len: 30,
        ..DemoSpec::default()
    };
    let mut policy = CheckpointPolicy::new(&dir, 10);
    policy.keep = 10;
    train_single(
        &spec,
        &RunOptions {
            checkpoints: Some(policy),
            ..RunOptions::default()
        },
    )
    .unwrap();
    let newest = dir.join(file_name(20));
    let mut bytes = fs::read(&newest).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&newest, &bytes).unwrap();
    let d = dir.clone();
    let loaded = on_ranks(3, move |comm| {
        load_latest_shared::<f64, _>(&d, &comm)
            .unwrap()
            .map(|l| (l.checkpoint, l.skipped.len()))
    });
    let (first, skipped) = loaded[0].clone().expect("found");
    assert_eq!(
        (first.step(), skipped),
        (10, 1),
        "rank 0 reports the damaged file"
    );
    for l in &loaded[1..] {
        let (c, _) = l.clone().expect("found");
        assert_eq!(c, first);
    }

    // Only damaged files: an error on every rank, never a fresh start.
    fs::remove_file(dir.join(file_name(10))).unwrap();
    let d = dir.clone();
    let results = on_ranks(3, move |comm| load_latest_shared::<f64, _>(&d, &comm));
    assert!(matches!(
        results[0],
        Err(TrainError::Checkpoint(
            CheckpointError::NoValidCheckpoint { .. }
        ))
    ));
    for r in &results[1..] {
        match r {
            Err(TrainError::Checkpoint(CheckpointError::Io { path, source })) => {
                assert_eq!(path, &dir);
                assert!(source.to_string().contains("checksum"), "{source}");
            }
            other => panic!("expected rank 0's error, got {other:?}"),
        }
    }
    fs::remove_dir_all(&dir).ok();
}
