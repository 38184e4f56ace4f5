//! One table of every kind of bad input — non-finite data, empty series, mismatched shapes, invalid configs, unknown optimizer names, missing or unreadable files — and the typed error each must give (never a panic).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use dopamine_bench::reproduce::{ReproduceOptions, reproduce};
use dopamine_bench::{BenchError, Mode};
use dopamine_core::Error as CoreError;
use dopamine_nets::{Activation, Bptt, Loss, Mlp, NetError, Rnn, RnnInit, WeightInit};
use dopamine_tasks::{HeaderMode, Series, TaskError, load_csv, parse_csv};
use dopamine_train::store::read_checkpoint;
use dopamine_train::{
    AdamSettings, Budget, CheckpointError, CheckpointPolicy, Dopamine1Settings, FnObjective,
    MlpObjective, NoObserver, Objective, OptimizerSpec, RnnObjective, SgdSettings, TrainError,
    TrainSpec, Trainer, WpSettings, load_latest, train,
};
use faer::Mat;

type Case = (
    &'static str,
    Box<dyn Fn() -> Result<(), BenchError>>,
    fn(&BenchError) -> bool,
    &'static str,
);

fn missing(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "dopamine-bad-input-missing-{name}-{}",
        std::process::id()
    ))
}

fn mlp() -> Mlp<f64> {
    Mlp::new(
        &[2, 3, 1],
        &[Activation::Tanh, Activation::Sigmoid],
        WeightInit::Xavier,
        0,
    )
    .expect("valid")
}

fn rnn() -> Rnn<f64> {
    Rnn::new(1, 4, 1, &RnnInit::default()).expect("valid")
}

fn perturb() -> WpSettings {
    WpSettings {
        sigma: 1e-2,
        eta: 0.1,
        ..Default::default()
    }
}

fn wp() -> OptimizerSpec {
    OptimizerSpec::Wp(perturb())
}

fn quadratic(params: Vec<f64>) -> FnObjective<f64, fn(&[f64]) -> f64> {
    FnObjective::new(params, |w: &[f64]| w.iter().map(|x| x * x).sum(), 0)
}

/// A model whose loss is NaN wherever it starts, with a gradient.
struct NanWithGradient(Vec<f64>);

impl Objective<f64> for NanWithGradient {
    fn params(&self) -> &[f64] {
        &self.0
    }
    fn params_mut(&mut self) -> &mut [f64] {
        &mut self.0
    }
    fn loss(&mut self) -> f64 {
        f64::NAN
    }
    fn loss_at(&mut self, _params: &[f64]) -> f64 {
        f64::NAN
    }
    fn loss_and_gradient(&mut self, grad: &mut [f64]) -> Option<f64> {
        grad.fill(0.0);
        Some(f64::NAN)
    }
}

fn run_spec(spec: TrainSpec) -> Result<(), BenchError> {
    let mut obj = quadratic(vec![1.0]);
    let mut opt = wp().build::<f64>(1, 0, 10)?;
    train(&mut obj, opt.as_mut(), &spec, &mut NoObserver)?;
    Ok(())
}

fn optimizer(spec: OptimizerSpec, dim: usize) -> Result<(), BenchError> {
    spec.build::<f64>(dim, 0, 10)?;
    Ok(())
}

/// Runs `reproduce` with configs from `dir` (its output in a temporary folder).
fn reproduce_with(dir: PathBuf) -> Result<(), BenchError> {
    let out = missing("reproduce-out");
    let result = reproduce(
        &ReproduceOptions {
            mode: Mode::Quick,
            out_dir: out.clone(),
            configs_dir: Some(dir),
            command: "bad input test".into(),
            resume: false,
        },
        None,
    );
    let _ = std::fs::remove_dir_all(&out);
    result.map(|_| ())
}

fn cases() -> Vec<Case> {
    vec![
        // Non-finite data.
        (
            "NaN in a series",
            Box::new(|| {
                Series::new(2, vec![1.0, 2.0, f64::NAN, 0.0])
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Task(TaskError::NonFinite { row: 1, column: 0 })
                )
            },
            "row 1",
        ),
        (
            "infinity in a series",
            Box::new(|| {
                Series::from_values(vec![f64::INFINITY])
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| matches!(e, BenchError::Task(TaskError::NonFinite { .. })),
            "",
        ),
        (
            "nan in a CSV",
            Box::new(|| {
                parse_csv("x,y\n1,2\n3,nan\n", HeaderMode::Auto)
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| matches!(e, BenchError::Task(TaskError::CsvNonFinite { .. })),
            "",
        ),
        (
            "NaN inputs to an MLP loss",
            Box::new(|| {
                let mut x = Mat::<f64>::zeros(4, 2);
                x[(2, 1)] = f64::NAN;
                MlpObjective::new(mlp(), x, Mat::zeros(4, 1), Loss::Mse)
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Net(NetError::NonFinite { row: 2, col: 1, .. }))
                )
            },
            "inputs",
        ),
        (
            "NaN inputs to an RNN loss",
            Box::new(|| {
                let mut x = Mat::<f64>::zeros(10, 1);
                x[(3, 0)] = f64::NAN;
                RnnObjective::new(rnn(), x, Mat::zeros(10, 1), 0, Bptt::Full)
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Net(NetError::NonFinite { .. }))
                )
            },
            "inputs",
        ),
        (
            "non-finite starting weights",
            Box::new(|| {
                let mut obj = quadratic(vec![f64::NAN, 1.0]);
                let mut opt = wp().build::<f64>(2, 0, 10)?;
                train(
                    &mut obj,
                    opt.as_mut(),
                    &TrainSpec::default(),
                    &mut NoObserver,
                )?;
                Ok(())
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Optimizer(CoreError::NonFiniteParameters))
                )
            },
            "",
        ),
        (
            "a loss that is NaN from the start (gradient rule)",
            Box::new(|| {
                let mut obj = NanWithGradient(vec![1.0, 2.0]);
                let mut opt =
                    OptimizerSpec::Adam(AdamSettings { lr: 0.1 }).build::<f64>(2, 0, 10)?;
                train(
                    &mut obj,
                    opt.as_mut(),
                    &TrainSpec::default(),
                    &mut NoObserver,
                )?;
                Ok(())
            }),
            |e| matches!(e, BenchError::Train(TrainError::NonFiniteStart)),
            "starting parameters",
        ),
        (
            "a loss that is always NaN (perturbation rule)",
            Box::new(|| {
                let mut obj = FnObjective::new(vec![1.0], |_: &[f64]| f64::NAN, 0);
                let mut opt = wp().build::<f64>(1, 0, 100)?;
                let spec = TrainSpec {
                    max_consecutive_rejections: 3,
                    ..Default::default()
                };
                train(&mut obj, opt.as_mut(), &spec, &mut NoObserver)?;
                Ok(())
            }),
            |e| matches!(e, BenchError::Train(TrainError::Diverged { rejections: 4 })),
            "consecutive rejected steps",
        ),
        // Empty data.
        (
            "a series from no rows",
            Box::new(|| {
                Series::from_rows::<Vec<f64>>(&[])
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| matches!(e, BenchError::Task(TaskError::TooShort { .. })),
            "",
        ),
        (
            "an empty CSV",
            Box::new(|| {
                parse_csv("\n\n", HeaderMode::Auto)
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| matches!(e, BenchError::Task(TaskError::CsvEmpty)),
            "no data rows",
        ),
        (
            "an empty batch",
            Box::new(|| {
                MlpObjective::new(mlp(), Mat::zeros(0, 2), Mat::zeros(0, 1), Loss::Mse)
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Net(
                        NetError::EmptyBatch | NetError::ShapeMismatch { .. }
                    ))
                )
            },
            "",
        ),
        (
            "an empty sequence",
            Box::new(|| {
                RnnObjective::new(rnn(), Mat::zeros(0, 1), Mat::zeros(0, 1), 0, Bptt::Full)
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Net(NetError::EmptySequence))
                )
            },
            "",
        ),
        // Mismatched dimensions.
        (
            "series rows of different lengths",
            Box::new(|| {
                Series::from_rows(&[vec![1.0], vec![1.0, 2.0]])
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| matches!(e, BenchError::Task(TaskError::DimensionMismatch { .. })),
            "",
        ),
        (
            "MLP inputs with the wrong width",
            Box::new(|| {
                MlpObjective::new(mlp(), Mat::zeros(4, 3), Mat::zeros(4, 1), Loss::Mse)
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Net(NetError::ShapeMismatch { .. }))
                )
            },
            "",
        ),
        (
            "MLP targets with the wrong row count",
            Box::new(|| {
                MlpObjective::new(mlp(), Mat::zeros(4, 2), Mat::zeros(3, 1), Loss::Mse)
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Net(NetError::ShapeMismatch { .. }))
                )
            },
            "",
        ),
        (
            "RNN inputs with the wrong width",
            Box::new(|| {
                RnnObjective::new(rnn(), Mat::zeros(10, 2), Mat::zeros(10, 1), 0, Bptt::Full)
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Net(NetError::ShapeMismatch { .. }))
                )
            },
            "",
        ),
        (
            "RNN washout as long as the sequence",
            Box::new(|| {
                RnnObjective::new(rnn(), Mat::zeros(10, 1), Mat::zeros(10, 1), 10, Bptt::Full)
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Net(NetError::WashoutTooLong { .. }))
                )
            },
            "",
        ),
        (
            "parameters of the wrong length",
            Box::new(|| {
                Mlp::from_params(
                    &[2, 3, 1],
                    &[Activation::Tanh, Activation::Sigmoid],
                    &[0.0; 5],
                )
                .map(|_| ())
                .map_err(Into::into)
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Net(NetError::ShapeMismatch { .. }))
                )
            },
            "",
        ),
        // Invalid configs.
        (
            "an MLP layer of size zero",
            Box::new(|| {
                Mlp::<f64>::new(
                    &[2, 0, 1],
                    &[Activation::Tanh, Activation::Sigmoid],
                    WeightInit::Xavier,
                    0,
                )
                .map(|_| ())
                .map_err(Into::into)
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Net(NetError::ZeroSize { .. }))
                )
            },
            "",
        ),
        (
            "an RNN with no hidden units",
            Box::new(|| {
                Rnn::<f64>::new(1, 0, 1, &RnnInit::default())
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Net(
                        NetError::ZeroSize { .. } | NetError::InvalidConfig { .. }
                    ))
                )
            },
            "",
        ),
        (
            "a negative sigma",
            Box::new(|| {
                optimizer(
                    OptimizerSpec::Wp(WpSettings {
                        sigma: -1.0,
                        ..perturb()
                    }),
                    3,
                )
            }),
            |e| matches!(e, BenchError::Train(TrainError::Optimizer(_))),
            "sigma",
        ),
        (
            "a zero learning rate",
            Box::new(|| {
                optimizer(
                    OptimizerSpec::Sgd(SgdSettings {
                        lr: 0.0,
                        momentum: 0.0,
                    }),
                    3,
                )
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Optimizer(CoreError::EtaNotPositive))
                )
            },
            "",
        ),
        (
            "zero probes",
            Box::new(|| {
                optimizer(
                    OptimizerSpec::Wp(WpSettings {
                        probes: 0,
                        ..perturb()
                    }),
                    3,
                )
            }),
            |e| matches!(e, BenchError::Train(TrainError::Optimizer(_))),
            "",
        ),
        (
            "a beta of 1.5",
            Box::new(|| {
                optimizer(
                    OptimizerSpec::Dopamine1(Dopamine1Settings {
                        sigma: 1e-2,
                        eta: 0.1,
                        beta: 1.5,
                        ..Default::default()
                    }),
                    3,
                )
            }),
            |e| matches!(e, BenchError::Train(TrainError::Optimizer(_))),
            "",
        ),
        (
            "no parameters",
            Box::new(|| optimizer(wp(), 0)),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Optimizer(CoreError::EmptyParameters))
                )
            },
            "",
        ),
        (
            "a step budget of zero",
            Box::new(|| {
                run_spec(TrainSpec {
                    budget: Budget::steps(0),
                    ..Default::default()
                })
            }),
            |e| matches!(e, BenchError::Train(TrainError::Spec(_))),
            "step budget",
        ),
        (
            "a forward-pass budget of zero",
            Box::new(|| {
                run_spec(TrainSpec {
                    budget: Budget {
                        forward_equivalents: Some(0),
                        ..Default::default()
                    },
                    ..Default::default()
                })
            }),
            |e| matches!(e, BenchError::Train(TrainError::Spec(_))),
            "forward-pass budget",
        ),
        (
            "a negative time budget",
            Box::new(|| {
                run_spec(TrainSpec {
                    budget: Budget {
                        seconds: Some(-1.0),
                        ..Default::default()
                    },
                    ..Default::default()
                })
            }),
            |e| matches!(e, BenchError::Train(TrainError::Spec(_))),
            "time budget",
        ),
        (
            "a budget with no limit",
            Box::new(|| {
                run_spec(TrainSpec {
                    budget: Budget::default(),
                    ..Default::default()
                })
            }),
            |e| matches!(e, BenchError::Train(TrainError::Spec(_))),
            "no limit",
        ),
        (
            "record_every zero",
            Box::new(|| {
                run_spec(TrainSpec {
                    record_every: 0,
                    ..Default::default()
                })
            }),
            |e| matches!(e, BenchError::Train(TrainError::Spec(_))),
            "record_every",
        ),
        (
            "a checkpoint interval of zero",
            Box::new(|| {
                let t = Trainer::new(wp().build::<f64>(1, 0, 10)?, TrainSpec::default())?;
                t.with_checkpoints(CheckpointPolicy::new(missing("ckpt"), 0))?;
                Ok(())
            }),
            |e| matches!(e, BenchError::Train(TrainError::Spec(_))),
            "interval",
        ),
        (
            "a gradient rule on an objective without gradients",
            Box::new(|| {
                let mut obj = quadratic(vec![1.0]);
                let mut opt =
                    OptimizerSpec::Adam(AdamSettings { lr: 0.1 }).build::<f64>(1, 0, 10)?;
                train(
                    &mut obj,
                    opt.as_mut(),
                    &TrainSpec::default(),
                    &mut NoObserver,
                )?;
                Ok(())
            }),
            |e| matches!(e, BenchError::Train(TrainError::NoGradient)),
            "no gradient",
        ),
        (
            "an unknown optimizer name in JSON",
            Box::new(|| {
                serde_json::from_str::<OptimizerSpec>(r#"{"kind":"rmsprop","lr":0.1}"#)
                    .map(|_| ())
                    .map_err(|e| BenchError::config("spec.json", "kind", e.to_string()))
            }),
            |e| matches!(e, BenchError::Config { .. }),
            "unknown variant `rmsprop`",
        ),
        (
            "an unknown optimizer name in a reproduce config",
            Box::new(|| {
                let dir = missing("configs-rmsprop");
                std::fs::create_dir_all(&dir).map_err(BenchError::io(&dir))?;
                let xor = dopamine_bench::experiments::xor::CONFIG.replacen(
                    r#""kind": "wp""#,
                    r#""kind": "rmsprop""#,
                    1,
                );
                std::fs::write(dir.join("xor.json"), xor).map_err(BenchError::io(&dir))?;
                let result = reproduce_with(dir.clone());
                let _ = std::fs::remove_dir_all(&dir);
                result
            }),
            |e| matches!(e, BenchError::Config { .. }),
            "unknown variant `rmsprop`",
        ),
        // Missing or unreadable files.
        (
            "a missing config folder for reproduce",
            Box::new(|| reproduce_with(missing("configs"))),
            |e| matches!(e, BenchError::Io { source: io, .. } if io.kind() == std::io::ErrorKind::NotFound),
            "xor.json",
        ),
        (
            "a missing checkpoint folder",
            Box::new(|| {
                load_latest::<f64>(&missing("ckpt-dir"))
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Checkpoint(CheckpointError::Io { .. }))
                )
            },
            "dopamine-bad-input-missing-ckpt-dir",
        ),
        (
            "a missing checkpoint file",
            Box::new(|| {
                read_checkpoint::<f64>(&missing("ckpt-file"))
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Checkpoint(CheckpointError::Io { .. }))
                )
            },
            "ckpt-file",
        ),
        (
            "a file that is not a checkpoint",
            Box::new(|| {
                let path = missing("not-a-checkpoint");
                std::fs::write(&path, "step,loss\n1,0.5\n0123456789012345678901234")
                    .map_err(BenchError::io(&path))?;
                let result = read_checkpoint::<f64>(&path);
                let _ = std::fs::remove_file(&path);
                result.map(|_| ()).map_err(Into::into)
            }),
            |e| {
                matches!(
                    e,
                    BenchError::Train(TrainError::Checkpoint(CheckpointError::BadMagic { .. }))
                )
            },
            "not a checkpoint",
        ),
        (
            "a missing CSV file",
            Box::new(|| {
                load_csv(missing("data.csv"), HeaderMode::Auto)
                    .map(|_| ())
                    .map_err(Into::into)
            }),
            |e| matches!(e, BenchError::Task(TaskError::Io { .. })),
            "data.csv",
        ),
    ]
}

#[test]
fn every_bad_input_gives_its_typed_error() {
    let mut failures = Vec::new();
    for (name, run, expected, keyword) in cases() {
        match catch_unwind(AssertUnwindSafe(run)) {
            Err(_) => failures.push(format!("{name}: panicked")),
            Ok(Ok(())) => failures.push(format!("{name}: accepted")),
            Ok(Err(e)) => {
                let message = e.to_string();
                if !expected(&e) {
                    failures.push(format!("{name}: wrong error {e:?} ({message})"));
                } else if !message.contains(keyword) {
                    failures.push(format!("{name}: message `{message}` lacks `{keyword}`"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
