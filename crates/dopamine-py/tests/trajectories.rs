//! The Rust side of the cross-language bit-identity check: fixed configs trained on a fixed loss, ask/tell and batch, against `tests/fixtures/trajectories.json`.
//!
//! Each case is trained twice here, through the kernel's one-point ask/tell
//! and through its batch API (`plan`/`build_point`/`tell_all`); both must
//! agree bit for bit at every step and with the committed fixture. SNES,
//! which has no ask/tell, is trained through its batch API and through
//! `Snes::step`, and its records also hold `sigma` after every step. The
//! Python suite (`tests/test_trajectories.py`) drives the same cases through
//! the bindings — population, one-point (not SNES) and `step` interfaces —
//! and compares against the same file, so the Python trajectory equals the
//! Rust one.
//!
//! The fixture changes whenever the noise streams or a rule's arithmetic
//! change. Regenerate it with
//!
//! ```sh
//! DOPAMINE_BLESS=1 cargo test --release -p dopamine-py --test trajectories
//! ```
//!
//! and commit it together with the change that moved the numbers.

use std::path::PathBuf;

use dopamine_core::{
    AdaptiveCoding, BaselinePolicy, Block, Dopamine1Rule, Dopamine2Rule, EtaSchedule, NoiseKey,
    NoiseKind, NoiseStream, NoiseStructure, OpenEsConfig, OpenEsRule, ParamLayout, PerturbConfig,
    PerturbationOptimizer, Population, Query, Real, Rejection, RpeMode, Side, Snes, SnesConfig,
    StepOutcome, StepReport, Told, UpdateRule, WpConfig, WpRule,
};
use serde_json::{Value, json};

const REGENERATE: &str = "DOPAMINE_BLESS=1 cargo test --release -p dopamine-py --test trajectories";

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/trajectories.json")
}

/// The loss every case trains on, in `T` arithmetic and in this order:
/// `d = w_i - t_i`, `d2 = d * d`, `s += c_i * d2 + 0.25 * d2 * d2` over
/// `i = 0..P`, with `t_i = T(0.1 * i - 0.5)` and `c_i = T(1 + i % 5)`; NaN
/// instead when `nan_every > 0` and `(7 * round + point) % nan_every == 0`.
/// `round` counts the driver's step calls from 0 (after a rejected baseline
/// the kernel's step index stays, the round moves on); `point` is the index
/// of the evaluation point in the step's plan.
fn loss<T: Real>(w: &[T], round: usize, point: usize, nan_every: usize) -> T {
    if nan_every > 0 && (7 * round + point) % nan_every == 0 {
        return T::from_f64(f64::NAN);
    }
    let quarter = T::from_f64(0.25);
    let mut s = T::ZERO;
    for (i, &x) in w.iter().enumerate() {
        let t = T::from_f64(0.1 * i as f64 - 0.5);
        let c = T::from_f64(1.0 + (i % 5) as f64);
        let d = x - t;
        let d2 = d * d;
        s += c * d2 + quarter * d2 * d2;
    }
    s
}

/// The starting parameters: `T(0.3 * ((7 i mod 11) - 5) / 5)`.
fn init<T: Real>(dim: usize) -> Vec<T> {
    (0..dim)
        .map(|i| T::from_f64(0.3 * (((7 * i) % 11) as f64 - 5.0) / 5.0))
        .collect()
}

fn hex(x: f64) -> String {
    format!("{:016x}", x.to_bits())
}

fn hexes<T: Real>(w: &[T]) -> Vec<String> {
    w.iter().map(|x| hex(x.to_f64())).collect()
}

fn reason(why: Rejection) -> &'static str {
    match why {
        Rejection::UpdateUndone => "update_undone",
        Rejection::NonFiniteBaseline => "non_finite_baseline",
        Rejection::NonFiniteProbe => "non_finite_probe",
        Rejection::UpdateTooLarge => "update_too_large",
    }
}

/// A report's values as bit patterns; a value the method does not report
/// (SNES's RPEs, the RPE statistics of WP, OpenES and SNES) is `null`.
fn report_json<T: Real>(r: &StepReport<T>) -> Value {
    let opt = |x: Option<T>| x.map_or(Value::Null, |x| json!(hex(x.to_f64())));
    json!({
        "step": r.step,
        "baseline_loss": hex(r.baseline_loss.to_f64()),
        "mean_delta": opt(r.rpe.map(|x| x.mean_delta)),
        "last_delta": opt(r.rpe.map(|x| x.last_delta)),
        "eta": hex(r.eta.to_f64()),
        "effective_eta": hex(r.effective_eta.to_f64()),
        "expected_rpe": opt(r.coding.map(|c| c.expected_rpe)),
        "surprise_size": opt(r.coding.map(|c| c.surprise_size)),
    })
}

fn outcome_json<T: Real>(step: u64, outcome: &StepOutcome<T>) -> Value {
    match outcome {
        StepOutcome::Updated(r) => {
            json!({ "step": step, "outcome": "updated", "report": report_json(r) })
        }
        StepOutcome::Rejected(why) => {
            json!({ "step": step, "outcome": reason(*why), "report": Value::Null })
        }
    }
}

/// The plan index of a one-point query.
fn index_of<T: Real>(config: &PerturbConfig<T>, q: Query) -> usize {
    let offset = usize::from(config.baseline == BaselinePolicy::Evaluate);
    match q {
        Query::Baseline => 0,
        Query::Probe { probe, side } => {
            offset + probe * config.sides() + usize::from(side == Side::Minus)
        }
    }
}

fn step_ask_tell<T: Real, R: UpdateRule<T>>(
    opt: &mut PerturbationOptimizer<T, R>,
    w: &mut [T],
    round: usize,
    nan_every: usize,
) -> StepOutcome<T> {
    loop {
        let q = opt.ask(w).unwrap();
        let l = loss(w, round, index_of(opt.config(), q), nan_every);
        match opt.tell(w, l).unwrap() {
            Told::Baseline { .. } | Told::Probed => {}
            Told::Updated(r) => return StepOutcome::Updated(r),
            Told::Rejected(why) => return StepOutcome::Rejected(why),
        }
    }
}

fn step_batch<T: Real, R: UpdateRule<T>>(
    opt: &mut PerturbationOptimizer<T, R>,
    w: &mut [T],
    round: usize,
    nan_every: usize,
) -> StepOutcome<T> {
    let plan = opt.plan(w).unwrap();
    let mut base = w.to_vec();
    let mut point = vec![T::ZERO; w.len()];
    let losses: Vec<T> = (0..plan.len())
        .map(|e| {
            plan.build_point(e, &mut base, &mut point).unwrap();
            loss(&point, round, e, nan_every)
        })
        .collect();
    opt.tell_all(w, &losses).unwrap()
}

/// Trains a case both ways, checks that they agree at every step, and
/// returns its fixture entry.
fn run<T: Real, R: UpdateRule<T> + Clone + PartialEq + core::fmt::Debug>(
    name: &str,
    class: &str,
    kwargs: Value,
    opt: PerturbationOptimizer<T, R>,
    nan_every: usize,
    steps: usize,
) -> Value {
    let (mut a, mut b) = (opt.clone(), opt);
    let w0 = init::<T>(a.dim());
    let (mut wa, mut wb) = (w0.clone(), w0.clone());
    let mut records = Vec::new();
    for s in 0..steps {
        let step = b.step_index();
        let oa = step_ask_tell(&mut a, &mut wa, s, nan_every);
        let ob = step_batch(&mut b, &mut wb, s, nan_every);
        assert_eq!(oa, ob, "{name}: outcome of step {s}, ask/tell vs batch");
        assert_eq!(hexes(&wa), hexes(&wb), "{name}: params after step {s}");
        assert_eq!(a.rule(), b.rule(), "{name}: rule state after step {s}");
        assert!(wb.iter().all(|x| x.is_finite()), "{name}: finite params");
        let mut record = outcome_json(step, &ob);
        record["params"] = json!(hexes(&wb));
        records.push(record);
    }
    json!({
        "name": name,
        "class": class,
        "kwargs": kwargs,
        "nan_every": nan_every,
        "init": hexes(&w0),
        "steps": records,
    })
}

/// Trains a SNES case twice — through `plan`/`build_point`/`tell_all` and
/// through `Snes::step` — checks that they agree at every step (parameters
/// and `sigma`), and returns its fixture entry; each step's record also
/// holds `sigma`.
fn run_snes<T: Real>(
    name: &str,
    kwargs: Value,
    opt: Snes<T, Vec<T>>,
    nan_every: usize,
    steps: usize,
) -> Value {
    let (mut a, mut b) = (opt.clone(), opt);
    let w0 = init::<T>(a.dim());
    let (mut wa, mut wb) = (w0.clone(), w0.clone());
    let mut scratch = vec![T::ZERO; w0.len()];
    let mut records = Vec::new();
    for s in 0..steps {
        let step = b.step_index();
        let mut calls = 0;
        let oa = a
            .step(&mut wa, &mut scratch, |p| {
                calls += 1;
                loss(p, s, calls - 1, nan_every)
            })
            .unwrap();
        let losses: Vec<T> = {
            let plan = b.plan(&wb).unwrap();
            let mut base = wb.clone();
            let mut point = vec![T::ZERO; wb.len()];
            (0..plan.len())
                .map(|e| {
                    plan.build_point(e, &mut base, &mut point).unwrap();
                    loss(&point, s, e, nan_every)
                })
                .collect()
        };
        let ob = b.tell_all(&mut wb, &losses).unwrap();
        assert_eq!(oa, ob, "{name}: outcome of step {s}, step vs batch");
        assert_eq!(hexes(&wa), hexes(&wb), "{name}: params after step {s}");
        assert_eq!(
            hexes(a.sigma()),
            hexes(b.sigma()),
            "{name}: sigma after step {s}"
        );
        assert!(wb.iter().all(|x| x.is_finite()), "{name}: finite params");
        let mut record = outcome_json(step, &ob);
        record["params"] = json!(hexes(&wb));
        record["sigma"] = json!(hexes(b.sigma()));
        records.push(record);
    }
    json!({
        "name": name,
        "class": "SNES",
        "kwargs": kwargs,
        "nan_every": nan_every,
        "init": hexes(&w0),
        "steps": records,
    })
}

/// The Python layout of kernel blocks: a matrix block `rows x cols`
/// (column-major) is the C-ordered `(cols, rows)` array.
fn py_layout(blocks: &[Block]) -> Value {
    Value::Array(
        blocks
            .iter()
            .map(|b| match *b {
                Block::Vector { len } => json!(len),
                Block::Matrix { rows, cols } => json!([cols, rows]),
            })
            .collect(),
    )
}

fn cases() -> Vec<Value> {
    let mut cases = Vec::new();

    // WP, two forward probes, Gaussian noise, NaNs that undo updates (and
    // halve eta) and abandon probes.
    let config = PerturbConfig::<f64> {
        sigma: 0.05,
        eta: 0.02,
        probes: 2,
        seed: 7,
        ..Default::default()
    };
    let opt = PerturbationOptimizer::new(config, WpRule::new(WpConfig::default()), 9).unwrap();
    cases.push(run(
        "wp_forward",
        "WP",
        json!({ "n_params": 9, "sigma": 0.05, "eta": 0.02, "probes": 2, "seed": 7, "dtype": "float64" }),
        opt,
        13,
        40,
    ));

    // Dopamine-1, antithetic without a baseline, Rademacher noise, cosine
    // schedule, plain averages.
    let coding = AdaptiveCoding {
        beta: 0.8,
        eps: 1e-10,
        bias_correction: false,
    };
    let config = PerturbConfig::<f64> {
        sigma: 0.02,
        eta: 0.03,
        probes: 3,
        rpe: RpeMode::Antithetic,
        baseline: BaselinePolicy::FromProbes,
        noise: NoiseKind::Rademacher,
        schedule: EtaSchedule::Cosine {
            total_steps: 30,
            final_fraction: 0.1,
        },
        seed: 11,
        ..Default::default()
    };
    let opt = PerturbationOptimizer::new(config, Dopamine1Rule::new(coding), 12).unwrap();
    cases.push(run(
        "dopamine1_antithetic_from_probes",
        "Dopamine1",
        json!({
            "n_params": 12, "sigma": 0.02, "eta": 0.03, "probes": 3, "antithetic": true,
            "baseline_from_probes": true, "noise": "rademacher", "cosine_to": 0.1,
            "total_steps": 30, "seed": 11, "beta": 0.8, "eps": 1e-10,
            "bias_correction": false, "dtype": "float64",
        }),
        opt,
        17,
        40,
    ));

    // Dopamine-2 with low-rank noise over a layout of two matrices and two
    // vectors, antithetic with a baseline, step schedule.
    let blocks = [
        Block::Matrix { rows: 3, cols: 4 },
        Block::Vector { len: 3 },
        Block::Matrix { rows: 2, cols: 3 },
        Block::Vector { len: 2 },
    ];
    let layout = ParamLayout::new(&blocks).unwrap();
    let config = PerturbConfig::<f64> {
        sigma: 0.03,
        eta: 0.02,
        probes: 2,
        rpe: RpeMode::Antithetic,
        structure: NoiseStructure::LowRank { rank: 2 },
        schedule: EtaSchedule::Step {
            every: 10,
            factor: 0.5,
        },
        seed: 3,
        ..Default::default()
    };
    let dim = layout.num_params();
    let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.6, vec![0.0; dim]);
    let opt = PerturbationOptimizer::with_layout(config, rule, layout).unwrap();
    cases.push(run(
        "dopamine2_low_rank",
        "Dopamine2",
        json!({
            "layout": py_layout(&blocks), "sigma": 0.03, "eta": 0.02, "probes": 2,
            "antithetic": true, "rank": 2, "every": 10, "factor": 0.5,
            "seed": 3, "lambda_": 0.6, "dtype": "float64",
        }),
        opt,
        19,
        40,
    ));

    // Dopamine-1 in float32, four forward probes.
    let config = PerturbConfig::<f32> {
        sigma: 0.03,
        eta: 0.02,
        probes: 4,
        seed: 5,
        ..Default::default()
    };
    let opt = PerturbationOptimizer::new(config, Dopamine1Rule::default(), 7).unwrap();
    cases.push(run(
        "dopamine1_float32",
        "Dopamine1",
        json!({ "n_params": 7, "sigma": 0.03, "eta": 0.02, "probes": 4, "seed": 5, "dtype": "float32" }),
        opt,
        29,
        30,
    ));

    // Dopamine-2 with the default settings but sigma, eta and seed.
    let config = PerturbConfig::<f64> {
        sigma: 0.01,
        eta: 0.05,
        seed: 42,
        ..Default::default()
    };
    let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, vec![0.0; 5]);
    let opt = PerturbationOptimizer::new(config, rule, 5).unwrap();
    cases.push(run(
        "dopamine2_defaults",
        "Dopamine2",
        json!({ "n_params": 5, "sigma": 0.01, "eta": 0.05, "seed": 42, "dtype": "float64" }),
        opt,
        0,
        30,
    ));

    // OpenES: three antithetic pairs, an L2 term, NaNs that abandon steps.
    let config = PerturbConfig::<f64> {
        sigma: 0.05,
        eta: 0.03,
        probes: 3,
        seed: 13,
        ..PerturbConfig::antithetic()
    };
    let adam = OpenEsConfig {
        l2: 0.1,
        ..OpenEsConfig::default()
    };
    let opt = PerturbationOptimizer::new(config, OpenEsRule::new(adam, vec![0.0; 20]), 10).unwrap();
    cases.push(run(
        "open_es_l2",
        "OpenES",
        json!({ "n_params": 10, "sigma": 0.05, "eta": 0.03, "pairs": 3, "seed": 13, "l2": 0.1, "dtype": "float64" }),
        opt,
        11,
        40,
    ));

    // OpenES in float32 with rank-1 Rademacher noise over a layout, a
    // cosine schedule and Adam's settings changed.
    let blocks = [
        Block::Matrix { rows: 3, cols: 2 },
        Block::Vector { len: 2 },
        Block::Matrix { rows: 2, cols: 2 },
    ];
    let layout = ParamLayout::new(&blocks).unwrap();
    let config = PerturbConfig::<f32> {
        sigma: 0.04,
        eta: 0.02,
        probes: 2,
        noise: NoiseKind::Rademacher,
        structure: NoiseStructure::LowRank { rank: 1 },
        schedule: EtaSchedule::Cosine {
            total_steps: 30,
            final_fraction: 0.2,
        },
        seed: 17,
        ..PerturbConfig::antithetic()
    };
    let adam = OpenEsConfig {
        beta1: 0.8,
        beta2: 0.99,
        eps: 1e-6,
        l2: 0.0,
    };
    let dim = layout.num_params();
    let rule = OpenEsRule::new(adam, vec![0.0; 2 * dim]);
    let opt = PerturbationOptimizer::with_layout(config, rule, layout).unwrap();
    cases.push(run(
        "open_es_float32_low_rank",
        "OpenES",
        json!({
            "layout": py_layout(&blocks), "sigma": 0.04, "eta": 0.02, "pairs": 2,
            "noise": "rademacher", "rank": 1, "cosine_to": 0.2, "total_steps": 30,
            "seed": 17, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6,
            "dtype": "float32",
        }),
        opt,
        23,
        30,
    ));

    // SNES with the paper's defaults for 9 parameters, NaNs that reject steps.
    let config = SnesConfig::<f64> {
        seed: 5,
        ..SnesConfig::new(9, 0.3)
    };
    let opt = Snes::new(config, 9, vec![0.0; 9]).unwrap();
    cases.push(run_snes(
        "snes_defaults",
        json!({ "n_params": 9, "sigma": 0.3, "seed": 5, "dtype": "float64" }),
        opt,
        13,
        40,
    ));

    // SNES in float32 with every setting given.
    let config = SnesConfig::<f32> {
        sigma0: 0.2,
        eta_mu: 0.8,
        eta_sigma: 0.3,
        population: 7,
        seed: 21,
    };
    let opt = Snes::new(config, 6, vec![0.0; 6]).unwrap();
    cases.push(run_snes(
        "snes_float32",
        json!({
            "n_params": 6, "sigma": 0.2, "eta": 0.8, "eta_sigma": 0.3, "population": 7,
            "seed": 21, "dtype": "float32",
        }),
        opt,
        0,
        30,
    ));
    cases
}

/// Settings the kernel rejects, with its message for each: the bindings
/// must raise `ValueError` with exactly this message. `kwargs` are the
/// Python constructor's; non-finite floats are the strings "nan", "inf".
fn errors() -> Vec<Value> {
    fn message<T: Real, R: UpdateRule<T> + core::fmt::Debug>(
        built: Result<PerturbationOptimizer<T, R>, dopamine_core::Error>,
    ) -> String {
        built.expect_err("the kernel must reject this").to_string()
    }
    let d1 = |config: PerturbConfig<f64>, coding: AdaptiveCoding<f64>, dim: usize| {
        message(PerturbationOptimizer::new(
            config,
            Dopamine1Rule::new(coding),
            dim,
        ))
    };
    let base = PerturbConfig::<f64>::default();
    let coding = AdaptiveCoding::<f64>::default();
    let layout_blocks = [Block::Matrix { rows: 3, cols: 2 }, Block::Vector { len: 3 }];
    let mut out = vec![
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 4, "sigma": 0.0 },
                "message": d1(PerturbConfig { sigma: 0.0, ..base }, coding, 4) }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 4, "sigma": "nan" },
                "message": d1(PerturbConfig { sigma: f64::NAN, ..base }, coding, 4) }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 4, "eta": -1.0 },
                "message": d1(PerturbConfig { eta: -1.0, ..base }, coding, 4) }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 4, "probes": 0 },
                "message": d1(PerturbConfig { probes: 0, ..base }, coding, 4) }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 4, "probes": 33 },
                "message": d1(PerturbConfig { probes: 33, ..base }, coding, 4) }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 0 },
                "message": d1(base, coding, 0) }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 4, "rank": 1 },
                "message": d1(PerturbConfig { structure: NoiseStructure::LowRank { rank: 1 }, ..base }, coding, 4) }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 4, "rank": 9 },
                "message": d1(PerturbConfig { structure: NoiseStructure::LowRank { rank: 9 }, ..base }, coding, 4) }),
        json!({ "class": "Dopamine1", "kwargs": { "layout": py_layout(&layout_blocks), "rank": 3 },
                "message": message(PerturbationOptimizer::with_layout(
                    PerturbConfig { structure: NoiseStructure::LowRank { rank: 3 }, ..base },
                    Dopamine1Rule::new(coding),
                    ParamLayout::new(&layout_blocks).unwrap())) }),
        json!({ "class": "Dopamine1", "kwargs": { "layout": [[2, 3], 0] },
                "message": ParamLayout::new(&[Block::Matrix { rows: 3, cols: 2 }, Block::Vector { len: 0 }])
                    .unwrap_err().to_string() }),
        json!({ "class": "Dopamine1", "kwargs": { "layout": vec![1; 17] },
                "message": ParamLayout::new(&[Block::Vector { len: 1 }; 17]).unwrap_err().to_string() }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 10, "layout": py_layout(&layout_blocks) },
                "message": dopamine_core::Error::LayoutMismatch { layout: 9, params: 10 }.to_string() }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 4, "cosine_to": 0.0, "total_steps": 0 },
                "message": d1(PerturbConfig { schedule: EtaSchedule::Cosine { total_steps: 0, final_fraction: 0.0 }, ..base }, coding, 4) }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 4, "cosine_to": "nan", "total_steps": 10 },
                "message": d1(PerturbConfig { schedule: EtaSchedule::Cosine { total_steps: 10, final_fraction: f64::NAN }, ..base }, coding, 4) }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 4, "cosine_to": 1.5, "total_steps": 10 },
                "message": d1(PerturbConfig { schedule: EtaSchedule::Cosine { total_steps: 10, final_fraction: 1.5 }, ..base }, coding, 4) }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 4, "every": 0, "factor": 0.5 },
                "message": d1(PerturbConfig { schedule: EtaSchedule::Step { every: 0, factor: 0.5 }, ..base }, coding, 4) }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 4, "every": 5, "factor": 2.0 },
                "message": d1(PerturbConfig { schedule: EtaSchedule::Step { every: 5, factor: 2.0 }, ..base }, coding, 4) }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 4, "beta": 1.0 },
                "message": d1(base, AdaptiveCoding { beta: 1.0, ..coding }, 4) }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 4, "beta": "nan" },
                "message": d1(base, AdaptiveCoding { beta: f64::NAN, ..coding }, 4) }),
        json!({ "class": "Dopamine1", "kwargs": { "n_params": 4, "eps": 0.0 },
                "message": d1(base, AdaptiveCoding { eps: 0.0, ..coding }, 4) }),
        json!({ "class": "Dopamine2", "kwargs": { "n_params": 4, "lambda_": 1.0 },
                "message": message(PerturbationOptimizer::new(base, Dopamine2Rule::new(coding, 1.0, vec![0.0; 4]), 4)) }),
        json!({ "class": "Dopamine2", "kwargs": { "n_params": 4, "lambda_": "inf" },
                "message": message(PerturbationOptimizer::new(base, Dopamine2Rule::new(coding, f64::INFINITY, vec![0.0; 4]), 4)) }),
        json!({ "class": "WP", "kwargs": { "n_params": 4, "sigma": -0.5 },
                "message": message(PerturbationOptimizer::new(PerturbConfig { sigma: -0.5, ..base }, WpRule::<f64>::default(), 4)) }),
        // A value that is fine in float64 but not in float32 (eta overflows to inf).
        json!({ "class": "WP", "kwargs": { "n_params": 4, "eta": 1e39, "dtype": "float32" },
                "message": message(PerturbationOptimizer::new(
                    PerturbConfig::<f32> { eta: f32::INFINITY, ..Default::default() }, WpRule::<f32>::default(), 4)) }),
    ];
    // The kernel's run-time checks: parameters that are not finite.
    let mut opt =
        PerturbationOptimizer::new(base, Dopamine1Rule::new(coding), 2).expect("valid settings");
    out.push(json!({
        "call": "ask",
        "message": opt.plan(&[f64::NAN, 0.0]).expect_err("NaN parameters").to_string(),
    }));
    out.extend(peer_errors());
    out
}

/// The settings the kernel rejects for OpenES and SNES, and SNES's refusal
/// of a distribution that could overflow (`"call": "snes_ask"`: `SNES(**kwargs)`
/// asked at `params`, bit patterns).
fn peer_errors() -> Vec<Value> {
    fn message<O: core::fmt::Debug>(built: Result<O, dopamine_core::Error>) -> String {
        built.expect_err("the kernel must reject this").to_string()
    }
    let anti = PerturbConfig::<f64>::antithetic();
    let adam = OpenEsConfig::<f64>::default();
    let oes = |config: PerturbConfig<f64>, adam: OpenEsConfig<f64>| {
        message(PerturbationOptimizer::new(
            config,
            OpenEsRule::new(adam, vec![0.0; 8]),
            4,
        ))
    };
    let snes =
        |config: SnesConfig<f64>, dim: usize| message(Snes::new(config, dim, vec![0.0; dim]));
    let sc = SnesConfig::<f64>::new(4, 0.5);
    let mut out = vec![
        json!({ "class": "OpenES", "kwargs": { "n_params": 4, "beta1": 1.0 },
                "message": oes(anti, OpenEsConfig { beta1: 1.0, ..adam }) }),
        json!({ "class": "OpenES", "kwargs": { "n_params": 4, "beta2": "nan" },
                "message": oes(anti, OpenEsConfig { beta2: f64::NAN, ..adam }) }),
        json!({ "class": "OpenES", "kwargs": { "n_params": 4, "eps": 0.0 },
                "message": oes(anti, OpenEsConfig { eps: 0.0, ..adam }) }),
        json!({ "class": "OpenES", "kwargs": { "n_params": 4, "l2": -1.0 },
                "message": oes(anti, OpenEsConfig { l2: -1.0, ..adam }) }),
        json!({ "class": "OpenES", "kwargs": { "n_params": 4, "l2": "inf" },
                "message": oes(anti, OpenEsConfig { l2: f64::INFINITY, ..adam }) }),
        json!({ "class": "OpenES", "kwargs": { "n_params": 4, "sigma": 0.0 },
                "message": oes(PerturbConfig { sigma: 0.0, ..anti }, adam) }),
        json!({ "class": "SNES", "kwargs": { "n_params": 4, "sigma": 0.0 },
                "message": snes(SnesConfig { sigma0: 0.0, ..sc }, 4) }),
        json!({ "class": "SNES", "kwargs": { "n_params": 4, "sigma": "nan" },
                "message": snes(SnesConfig { sigma0: f64::NAN, ..sc }, 4) }),
        json!({ "class": "SNES", "kwargs": { "n_params": 4, "sigma": 0.5, "eta": 0.0 },
                "message": snes(SnesConfig { eta_mu: 0.0, ..sc }, 4) }),
        json!({ "class": "SNES", "kwargs": { "n_params": 4, "sigma": 0.5, "eta_sigma": -1.0 },
                "message": snes(SnesConfig { eta_sigma: -1.0, ..sc }, 4) }),
        json!({ "class": "SNES", "kwargs": { "n_params": 4, "sigma": 0.5, "eta_sigma": "inf" },
                "message": snes(SnesConfig { eta_sigma: f64::INFINITY, ..sc }, 4) }),
        json!({ "class": "SNES", "kwargs": { "n_params": 4, "sigma": 0.5, "population": 1 },
                "message": snes(SnesConfig { population: 1, ..sc }, 4) }),
        json!({ "class": "SNES", "kwargs": { "n_params": 4, "sigma": 0.5, "population": 257 },
                "message": snes(SnesConfig { population: 257, ..sc }, 4) }),
        json!({ "class": "SNES", "kwargs": { "n_params": 0, "sigma": 0.5 },
                "message": snes(SnesConfig::new(0, 0.5), 0) }),
        // Fine in float64, infinite in float32.
        json!({ "class": "SNES", "kwargs": { "n_params": 4, "sigma": 1e39, "dtype": "float32" },
                "message": message(Snes::new(SnesConfig::<f32>::new(4, f32::INFINITY), 4, vec![0.0f32; 4])) }),
    ];
    let params = [1e308, 0.0];
    let mut opt = Snes::new(SnesConfig::new(2, 1e308), 2, vec![0.0; 2]).expect("valid settings");
    out.push(json!({
        "call": "snes_ask",
        "snes_kwargs": { "n_params": 2, "sigma": 1e308 },
        "params": hexes(&params),
        "message": opt.plan(&params).expect_err("a distribution that could overflow").to_string(),
    }));
    out
}

/// The first values of two noise streams: when the fixture is stale, they
/// say whether the noise itself changed.
fn noise_fingerprint() -> Value {
    let key = NoiseKey::new(1, 2, 3);
    let values = |kind| -> Vec<String> {
        let s = NoiseStream::new(key, kind);
        (0..4).map(|i| hex(s.value_f64(i))).collect()
    };
    json!({
        "key": [1, 2, 3],
        "gaussian": values(NoiseKind::Gaussian),
        "rademacher": values(NoiseKind::Rademacher),
    })
}

fn fixture() -> Value {
    json!({
        "about": "Trajectories of fixed configs on a fixed loss, from dopamine-core's ask/tell and batch APIs (identical); \
                  the Python bindings must reproduce them bit for bit. Values are IEEE-754 binary64 bit patterns in hex \
                  (float32 values widened exactly).",
        "regenerate": REGENERATE,
        "loss": "d = w_i - t_i; d2 = d * d; s += c_i * d2 + 0.25 * d2 * d2 for i = 0..P, in the optimizer's dtype, \
                 t_i = 0.1 * i - 0.5, c_i = 1 + i % 5; NaN when nan_every > 0 and (7 * round + point) % nan_every == 0, \
                 round: the index of the driver's step call (from 0), point: the index of the point in the step's plan",
        "init": "w_i = 0.3 * ((7 * i) % 11 - 5) / 5",
        "noise_fingerprint": noise_fingerprint(),
        "errors": errors(),
        "cases": cases(),
    })
}

#[test]
fn trajectories_match_the_fixture() {
    let path = fixture_path();
    let fresh = fixture();
    if std::env::var_os("DOPAMINE_BLESS").is_some_and(|v| v == "1") {
        let mut text = serde_json::to_string_pretty(&fresh).unwrap();
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let stale = |what: String| -> ! {
        panic!(
            "{} is stale: {what}.\nIf the change of numbers is intended, regenerate it with\n    {REGENERATE}\n\
             and commit it (the Python test tests/test_trajectories.py compares against the same file).",
            path.display()
        )
    };
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| stale(format!("it cannot be read ({e})")));
    let stored: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| stale(format!("it is not valid JSON ({e})")));
    if stored["noise_fingerprint"] != fresh["noise_fingerprint"] {
        stale("the noise streams changed (the first values of the Gaussian or Rademacher stream differ)".into());
    }
    for key in ["loss", "init", "errors"] {
        if stored[key] != fresh[key] {
            stale(format!("its `{key}` description differs from this test's"));
        }
    }
    let (old, new) = (
        stored["cases"].as_array().cloned().unwrap_or_default(),
        fresh["cases"].as_array().cloned().unwrap_or_default(),
    );
    if old.len() != new.len() {
        stale(format!(
            "{} cases stored, {} computed",
            old.len(),
            new.len()
        ));
    }
    for (o, n) in old.iter().zip(&new) {
        let name = &n["name"];
        for key in ["name", "class", "kwargs", "nan_every", "init"] {
            if o[key] != n[key] {
                stale(format!("case {name}: `{key}` differs"));
            }
        }
        let (os, ns) = (o["steps"].as_array(), n["steps"].as_array());
        let (Some(os), Some(ns)) = (os, ns) else {
            stale(format!("case {name}: no steps"));
        };
        if os.len() != ns.len() {
            stale(format!(
                "case {name}: {} steps stored, {} computed",
                os.len(),
                ns.len()
            ));
        }
        for (s, (a, b)) in os.iter().zip(ns).enumerate() {
            if a != b {
                stale(format!(
                    "case {name}: step {s} differs (stored {}, computed {})",
                    a["outcome"], b["outcome"]
                ));
            }
        }
    }
    assert_eq!(
        stored, fresh,
        "the fixture differs elsewhere; regenerate with {REGENERATE}"
    );
}

/// The fixture exercises every outcome the Python side must reproduce:
/// updates, undone updates, abandoned probes.
#[test]
fn cases_cover_rejections() {
    let fresh = fixture();
    let mut outcomes = std::collections::BTreeSet::new();
    for case in fresh["cases"].as_array().unwrap() {
        for step in case["steps"].as_array().unwrap() {
            outcomes.insert(step["outcome"].as_str().unwrap().to_owned());
        }
    }
    for needed in [
        "updated",
        "update_undone",
        "non_finite_probe",
        "non_finite_baseline",
    ] {
        assert!(
            outcomes.contains(needed),
            "no step ends with {needed}: {outcomes:?}"
        );
    }
}
