//! The soak: 10^6 Dopamine-2 steps on a small loss with NaN and 1e300 losses injected at random (seeded), checkpoints rotating every 10,000 steps. Heap flat after warm-up (the counting allocator), checkpoint files bounded, parameters finite throughout, and the same bits when repeated.
//!
//! `#[ignore]`d as slow (about a second in release, minutes in a debug
//! build); `.ci/run` runs it with `cargo test --release -- --ignored slow_`.

use std::fs;
use std::path::{Path, PathBuf};

use dopamine_core::{AdaptiveCoding, Dopamine2Rule, PerturbConfig, PerturbationOptimizer};
use dopamine_meter::CountingAllocator;
use dopamine_train::store::list_checkpoints;
use dopamine_train::{
    Budget, CheckpointPolicy, Control, Objective, Observer, Record, TrainSpec, Trainer,
};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

const STEPS: u64 = 1_000_000;
const WARM_UP: u64 = 100_000;
const DIM: usize = 4;
const KEEP: usize = 3;
/// Out of 1,000 loss calls, this many return NaN and as many 1e300.
const FAULTS_PER_MILLE: u64 = 2;

/// A shifted quadratic of four parameters whose loss calls fail at random:
/// the fault of each call is drawn from a hash of the call's index and the
/// seed, so a run is a pure function of its settings.
struct Faulty {
    params: Vec<f64>,
    seed: u64,
    calls: u64,
    nans: u64,
    huge: u64,
    /// Loss calls that saw a non-finite parameter (must stay 0).
    non_finite_seen: u64,
}

impl Faulty {
    fn new(seed: u64) -> Self {
        Self {
            params: vec![2.0, -1.5, 0.5, 3.0],
            seed,
            calls: 0,
            nans: 0,
            huge: 0,
            non_finite_seen: 0,
        }
    }

    fn evaluate(&mut self, w: &[f64]) -> f64 {
        if w.iter().any(|x| !x.is_finite()) {
            self.non_finite_seen += 1;
        }
        self.calls += 1;
        let draw = splitmix(self.seed ^ self.calls.wrapping_mul(0x9e37_79b9_7f4a_7c15)) % 1000;
        if draw < FAULTS_PER_MILLE {
            self.nans += 1;
            return f64::NAN;
        }
        if draw < 2 * FAULTS_PER_MILLE {
            self.huge += 1;
            return 1e300;
        }
        w.iter()
            .enumerate()
            .map(|(i, x)| (i as f64 + 1.0) * (x - 0.25 * i as f64).powi(2))
            .sum()
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Objective<f64> for Faulty {
    fn params(&self) -> &[f64] {
        &self.params
    }
    fn params_mut(&mut self) -> &mut [f64] {
        &mut self.params
    }
    fn loss(&mut self) -> f64 {
        let w = std::mem::take(&mut self.params);
        let l = self.evaluate(&w);
        self.params = w;
        l
    }
    fn loss_at(&mut self, params: &[f64]) -> f64 {
        self.evaluate(params)
    }
}

/// Checks the folder and the parameters at every record; allocates nothing
/// that outlives the call.
struct Inspect<'a> {
    dir: &'a Path,
    most_files: usize,
    records_seen: u64,
}

impl Observer<Faulty> for Inspect<'_> {
    fn observe(&mut self, _record: &Record, objective: &mut Faulty) -> Control {
        assert!(
            objective.params.iter().all(|x| x.is_finite()),
            "non-finite parameters"
        );
        let files = fs::read_dir(self.dir).map_or(0, |d| d.count());
        self.most_files = self.most_files.max(files);
        self.records_seen += 1;
        Control::Continue
    }
}

struct Soak {
    params: Vec<u64>,
    records: Vec<[u64; 10]>,
    faults: (u64, u64),
    rejected: u64,
    most_files: usize,
    /// Heap bytes gained from the end of warm-up to the end, all of it and
    /// the records' share.
    growth: (i64, i64),
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dopamine-soak-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn soak(dir: &Path) -> Soak {
    let config = PerturbConfig {
        sigma: 1e-3,
        eta: 0.01,
        probes: 2,
        seed: 17,
        ..Default::default()
    };
    let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, vec![0.0; DIM]);
    let optimizer = PerturbationOptimizer::new(config, rule, DIM).expect("valid");
    let spec = TrainSpec {
        budget: Budget::steps(STEPS),
        record_every: 1000,
        ..Default::default()
    };
    let mut policy = CheckpointPolicy::new(dir, 10_000);
    policy.keep = KEEP;
    let mut trainer = Trainer::new(Box::new(optimizer), spec)
        .expect("valid")
        .with_checkpoints(policy)
        .expect("valid");
    let mut objective = Faulty::new(5);
    let mut inspect = Inspect {
        dir,
        most_files: 0,
        records_seen: 0,
    };
    let paused = trainer
        .run_until(&mut objective, WARM_UP, &mut inspect)
        .expect("runs");
    assert!(paused.is_none());
    let warm = ALLOCATOR.snapshot();
    let warm_records = trainer.state().records.capacity();
    let run = trainer
        .run_until(&mut objective, STEPS, &mut inspect)
        .expect("runs")
        .expect("finished");
    let records: Vec<[u64; 10]> = run.records.iter().map(record_bits).collect();
    let rejected = run.last.rejected_steps;
    assert!(
        run.checkpoint_failures.is_empty(),
        "{:?}",
        run.checkpoint_failures
    );
    drop(run);
    let record_bytes =
        (trainer.state().records.capacity() - warm_records) * std::mem::size_of::<Record>();
    // `records` (the copy above) was allocated after warm-up; leave it out.
    let copy_bytes = records.capacity() * std::mem::size_of::<[u64; 10]>();
    let end = ALLOCATOR.snapshot();
    let growth = end.current_bytes as i64 - warm.current_bytes as i64 - copy_bytes as i64;

    assert_eq!(
        objective.non_finite_seen, 0,
        "a loss call saw non-finite parameters"
    );
    assert_eq!(inspect.records_seen, STEPS / 1000);
    let files = list_checkpoints(dir).expect("lists");
    assert_eq!(files.len(), KEEP);
    assert_eq!(files.last().map(|f| f.0), Some(STEPS));
    Soak {
        params: objective.params.iter().map(|x| x.to_bits()).collect(),
        records,
        faults: (objective.nans, objective.huge),
        rejected,
        most_files: inspect.most_files,
        growth: (growth, record_bytes as i64),
    }
}

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

#[test]
#[ignore = "slow: 2 x 10^6 steps (about a second each in release)"]
fn slow_soak_a_million_faulty_steps_with_rotating_checkpoints() {
    let started = std::time::Instant::now();
    let dir = temp_dir("a");
    let first = soak(&dir);
    let one = started.elapsed();
    fs::remove_dir_all(&dir).ok();
    let dir = temp_dir("b");
    let second = soak(&dir);
    fs::remove_dir_all(&dir).ok();

    let (total, records) = first.growth;
    println!(
        "soak: {STEPS} steps in {:.2} s; {} NaN and {} 1e300 losses injected, {} steps rejected; \
         heap after warm-up (step {WARM_UP}) to the end: {total:+} bytes, of which the records \
         {records:+}, everything else {:+} ({:+.6} bytes per step); at most {} files in the \
         checkpoint folder (keep {KEEP}); final parameters {:?}",
        one.as_secs_f64(),
        first.faults.0,
        first.faults.1,
        first.rejected,
        total - records,
        (total - records) as f64 / (STEPS - WARM_UP) as f64,
        first.most_files,
        first
            .params
            .iter()
            .map(|b| f64::from_bits(*b))
            .collect::<Vec<_>>(),
    );
    // Faults happened, at about the rate asked for, and were survived.
    let calls_lower_bound = 3 * STEPS;
    for injected in [first.faults.0, first.faults.1] {
        assert!(
            injected > calls_lower_bound * FAULTS_PER_MILLE / 1000 / 2,
            "{injected}"
        );
    }
    assert!(first.rejected > 0);
    // Heap: nothing but the records grew after warm-up.
    assert_eq!(total - records, 0, "heap growth beyond the records");
    // Files: never more than `keep` between steps.
    assert!(first.most_files <= KEEP, "{}", first.most_files);
    // Same bits when repeated.
    assert_eq!(first.params, second.params);
    assert_eq!(first.records, second.records);
    assert_eq!(first.faults, second.faults);
}
