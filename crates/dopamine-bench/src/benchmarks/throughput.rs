//! B9 training throughput: forward passes per second per core of whole training steps of every method on the E2 network, each against the same run's single-forward rate.
//!
//! For `H` in {16, 64, 256} (the E2 network: 1-D Mackey-Glass input and
//! output, its training sequence of T = 1,499 steps, washout 50, `f32`),
//! measured in the same run, interleaved, median of the samples:
//!
//! * **single forward**: `Objective::loss` at the parameters (the unit);
//! * **a whole training step** of each method, as the trainer takes it
//!   (`step_preferred`: a population step through the RNN objective's
//!   measured path, on one thread): `plan`, every point's loss, `tell_all`
//!   and the update, or Adam's forward and backward pass. Its rate is the
//!   step's forward-pass equivalents (`passes_per_step`: a WP step with a
//!   baseline counts 2, an antithetic step `2K`, OpenES `2K`, SNES its
//!   population, Adam-BPTT 2) over the step's time.
//!
//! The ratio is the step's rate over the single-forward rate. Targets at
//! `H = 16`: Dopamine-1 with one antithetic pair at least 1.5 (two points
//! in lockstep), OpenES with 16 pairs, SNES with a population of 16 and
//! Dopamine-1 with 16 rank-1 pairs at least 2.5, Dopamine-3 at least 0.7.
//! Dopamine-3's step is one update interval (`C` = 300 time steps); its
//! row times a whole sweep (the steps until the sequence ends, the two
//! copies, the eligibility and every update), which counts 2 passes.

use std::fmt::Write as _;
use std::hint::black_box;

use dopamine_nets::{Bptt, PointNoise, Rnn, RnnInit};
use dopamine_train::{
    AdamSettings, Dopamine1Settings, Dopamine3Settings, Objective, OpenEsSettings, Optimizer,
    OptimizerSpec, PerturbSpec, PopulationScratch, RnnObjective, SnesSettings, SpecOptions,
    WpSettings, step_preferred,
};

use super::benchmark::{BenchContext, Benchmark};
use super::harness::{TargetCheck, interleaved_medians, load_average, met, ratio};
use crate::config;
use crate::error::BenchError;
use crate::experiments::forecast::{
    ForecastConfig, ForecastData, MACKEY_GLASS_CONFIG, cast, forecast_data,
};
use crate::markdown::{Table, fmt_sig};
use crate::mode::{ByMode, Mode};

/// Hidden sizes measured.
const HIDDEN: ByMode<&[usize]> = ByMode {
    full: &[16, 64, 256],
    quick: &[16, 64],
};

/// One method's row: how it is built and its target at `H = 16`.
struct Method {
    label: &'static str,
    spec: OptimizerSpec,
    options: SpecOptions,
    /// The least ratio to the single-forward rate at `H = 16`, if a target.
    target: Option<f64>,
}

/// The probing settings of the perturbation rows (the rates do not change
/// the cost of a step; small, so that the samples stay near the start).
fn perturb(probes: usize, antithetic: bool) -> PerturbSpec {
    PerturbSpec {
        sigma: 1e-3,
        eta: 1e-4,
        probes,
        antithetic,
        ..Default::default()
    }
}

/// Every row of B9, in order.
fn methods() -> Vec<Method> {
    let no_baseline = SpecOptions {
        baseline_from_probes: true,
        ..Default::default()
    };
    let openes = |pairs| OpenEsSettings {
        sigma: 1e-3,
        eta: 1e-4,
        pairs,
        ..Default::default()
    };
    vec![
        Method {
            label: "WP, K=1 (baseline and probe)",
            spec: OptimizerSpec::Wp(WpSettings::from(perturb(1, false))),
            options: SpecOptions::default(),
            target: None,
        },
        Method {
            label: "Dopamine-1, K=1 antithetic",
            spec: OptimizerSpec::Dopamine1(Dopamine1Settings::new(perturb(1, true), 0.9)),
            options: no_baseline,
            target: Some(1.5),
        },
        Method {
            label: "Dopamine-1, K=16 antithetic, rank 1",
            spec: OptimizerSpec::Dopamine1(Dopamine1Settings::new(perturb(16, true), 0.9)),
            options: SpecOptions {
                rank: Some(1),
                ..no_baseline
            },
            target: Some(2.5),
        },
        Method {
            label: "OpenES, 8 pairs",
            spec: OptimizerSpec::OpenEs(openes(8)),
            options: SpecOptions::default(),
            target: None,
        },
        Method {
            label: "OpenES, 16 pairs",
            spec: OptimizerSpec::OpenEs(openes(16)),
            options: SpecOptions::default(),
            target: Some(2.5),
        },
        Method {
            label: "SNES, population 16",
            spec: OptimizerSpec::Snes(SnesSettings {
                sigma: 1e-3,
                eta: 1e-3,
                population: Some(16),
                eta_sigma: None,
            }),
            options: SpecOptions::default(),
            target: Some(2.5),
        },
        Method {
            label: "Dopamine-3, C=300 (a sweep)",
            spec: OptimizerSpec::Dopamine3(Dopamine3Settings {
                sigma: 1e-3,
                eta: 1e-4,
                ..Default::default()
            }),
            options: SpecOptions::default(),
            target: Some(0.7),
        },
        Method {
            label: "Adam, BPTT",
            spec: OptimizerSpec::Adam(AdamSettings { lr: 1e-5 }),
            options: SpecOptions::default(),
            target: None,
        },
    ]
}

/// The E2 network with `hidden` units on E2's training sequence, in `f32`.
fn objective(
    config: &ForecastConfig,
    data: &ForecastData,
    hidden: usize,
) -> Result<RnnObjective<f32>, BenchError> {
    let (inputs, targets) = data.pairs(0, data.train_end)?;
    let net = Rnn::new(
        1,
        hidden,
        1,
        &RnnInit {
            spectral_radius: config.spectral_radius,
            seed: 1,
            ..Default::default()
        },
    )?;
    Ok(RnnObjective::new(
        net,
        cast::<f32>(&inputs),
        cast::<f32>(&targets),
        config.washout,
        Bptt::Full,
    )?)
}

/// One measured step: the objective, its optimizer and the step's passes.
struct Runner {
    objective: RnnObjective<f32>,
    optimizer: Box<dyn Optimizer<f32>>,
    scratch: PopulationScratch<f32>,
    passes: u64,
    path: String,
}

impl Runner {
    fn new(base: &RnnObjective<f32>, method: &Method) -> Result<Self, BenchError> {
        let objective = base.clone();
        let layout = method.options.rank.and_then(|r| objective.param_layout(r));
        let dim = objective.params().len();
        let mut optimizer =
            method
                .spec
                .build_with::<f32>(&method.options, layout.as_ref(), dim, 5, u64::MAX)?;
        let passes = method.spec.passes_per_step_with(&method.options);
        let path = match optimizer.population() {
            Some(p) => {
                let noise = if method.options.rank.is_some() {
                    PointNoise::LowRank
                } else {
                    PointNoise::FullRank
                };
                format!("{:?}", objective.path_for(p.points_per_step(), noise))
            }
            None => "-".to_string(),
        };
        let mut runner = Self {
            objective,
            optimizer,
            scratch: PopulationScratch::new(),
            passes,
            path,
        };
        // Fails here, not inside the timing loop.
        runner.step()?;
        Ok(runner)
    }

    /// One step as the trainer takes it; for an optimizer that charges
    /// its passes at the end of a sweep (Dopamine-3's update intervals),
    /// every step up to that end.
    fn step(&mut self) -> Result<(), BenchError> {
        loop {
            let info = step_preferred(
                self.optimizer.as_mut(),
                &mut self.objective,
                &mut self.scratch,
            )?;
            if info.forward_passes + info.backward_passes > 0 || info.rejected {
                return Ok(());
            }
        }
    }
}

/// B9: whole training steps of every method against one forward pass; the ratios at `H = 16` are targets.
pub struct TrainingThroughput;

/// B9, as the list holds it.
pub const B9: TrainingThroughput = TrainingThroughput;

impl Benchmark for TrainingThroughput {
    fn id(&self) -> &'static str {
        "B9"
    }

    fn name(&self) -> &'static str {
        "training throughput"
    }

    fn run(
        &self,
        context: &BenchContext<'_>,
        out: &mut String,
        checks: &mut Vec<TargetCheck>,
    ) -> Result<(), BenchError> {
        let s = &context.sampling;
        let config: ForecastConfig = config::parse("mackey_glass.json", MACKEY_GLASS_CONFIG)?;
        let data = forecast_data(&config, Mode::Full)?;
        let methods = methods();
        let mut table = Table::new([
            "H",
            "method",
            "passes/step",
            "path",
            "forward ms",
            "step ms",
            "passes/s",
            "/ forward rate",
            "target",
            "met",
        ]);
        let load_before = load_average();
        for &h in HIDDEN.get(context.mode) {
            let base = objective(&config, &data, h)?;
            let mut forward_objective = base.clone();
            let mut runners = methods
                .iter()
                .map(|m| Runner::new(&base, m))
                .collect::<Result<Vec<_>, _>>()?;
            let mut forward = || {
                black_box(forward_objective.loss());
            };
            let mut closures: Vec<Box<dyn FnMut() + '_>> = vec![Box::new(&mut forward)];
            for r in &mut runners {
                closures.push(Box::new(move || {
                    black_box(r.step().ok());
                }));
            }
            let mut refs: Vec<&mut dyn FnMut()> = closures
                .iter_mut()
                .map(|c| &mut **c as &mut dyn FnMut())
                .collect();
            let t = interleaved_medians(s.samples, s.min_sample_seconds, &mut refs);
            drop(refs);
            drop(closures);
            let forward_rate = 1.0 / t[0];
            for (i, (m, r)) in methods.iter().zip(&runners).enumerate() {
                let step = t[i + 1];
                let rate = r.passes as f64 / step;
                let relative = rate / forward_rate;
                let target = m.target.filter(|_| h == 16);
                if let Some(least) = target {
                    checks.push(TargetCheck {
                        name: format!("B9 f32 H={h} {} passes/s / forward rate", m.label),
                        measured: relative,
                        target: format!(">= {least}"),
                        met: relative >= least,
                    });
                }
                table.row([
                    h.to_string(),
                    m.label.to_string(),
                    r.passes.to_string(),
                    r.path.clone(),
                    fmt_sig(t[0] * 1e3, 3),
                    fmt_sig(step * 1e3, 3),
                    fmt_sig(rate, 3),
                    ratio(relative),
                    target.map_or("-".into(), |l| format!(">= {l}")),
                    target.map_or("-".into(), |l| met(relative >= l).to_string()),
                ]);
            }
        }
        let _ = writeln!(
            out,
            "Forward passes per second per core of whole training steps, as the trainer takes \
             them (`step_preferred`: a population step through the RNN objective's measured \
             path, named in the `path` column, on one thread; Adam's forward and backward \
             pass), on the E2 network (1-D Mackey-Glass input and output, its training sequence \
             of T = {} steps, washout {}, `f32`) with H hidden units, against a single forward \
             pass (`Objective::loss`) measured in the same run, interleaved. A step's passes are \
             what the budgets charge (a WP step with a baseline 2, an antithetic step 2K, OpenES \
             2K, SNES its population, Adam-BPTT 2, a Dopamine-3 sweep 2); `/ forward rate` is \
             the step's passes per second over the single forward pass's. Targets at H = 16. \
             Load average before / after: {load_before} / {}.\n\n{}",
            data.train_end - 1,
            config.washout,
            load_average(),
            table.render()
        );
        Ok(())
    }
}
