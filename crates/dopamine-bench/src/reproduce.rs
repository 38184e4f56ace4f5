//! `cargo xtask reproduce`: runs E1-E4, writes `report.md`, `summary.json`, CSV curves and figures.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use dopamine_meter::CountingAllocator;
use dopamine_train::{OptimizerKind, Record};
use serde::{Deserialize, Serialize};

use crate::claims::{Claim, Robustness, c1, c2, c3, robustness};
use crate::config::load;
use crate::error::BenchError;
use crate::experiments::cost::{self, CostConfig, CostPoint, StepShape};
use crate::experiments::forecast::{self, ForecastConfig, ForecastReport};
use crate::experiments::xor::{self, XorConfig, XorResult};
use crate::machine::MachineInfo;
use crate::markdown::{Table, fmt_sig};
use crate::mode::Mode;
use dopamine_plot::{
    BarGroup, BarPlot, Curve, HeatMap, LinePlot, Scale, write_bar_plot, write_heat_map,
    write_line_plot,
};
use crate::progress::Progress;
use crate::reproduce_state::StageStore;
use crate::stats::band;

/// What to run and where to write.
#[derive(Debug, Clone)]
pub struct ReproduceOptions {
    /// Full or quick.
    pub mode: Mode,
    /// Output folder (created).
    pub out_dir: PathBuf,
    /// Folder with `xor.json`, `mackey_glass.json`, `lorenz.json`, `cost.json`
    /// to use instead of the built-in configs.
    pub configs_dir: Option<PathBuf>,
    /// The command line, for the report.
    pub command: String,
    /// Reuse the results of experiments a previous run in `out_dir` finished
    /// (same mode, same config text; see [`crate::reproduce_state`]).
    pub resume: bool,
}

/// The built-in experiment configs (the files under `crates/dopamine-bench/configs/`).
pub mod builtin {
    /// E1.
    pub const XOR: &str = include_str!("../configs/xor.json");
    /// E2.
    pub const MACKEY_GLASS: &str = include_str!("../configs/mackey_glass.json");
    /// E3.
    pub const LORENZ: &str = include_str!("../configs/lorenz.json");
    /// E4.
    pub const COST: &str = include_str!("../configs/cost.json");
}

/// What `summary.json` holds: everything the report says, without the curves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// Full or quick.
    pub mode: Mode,
    /// The command that produced it.
    pub command: String,
    /// Machine and revision.
    pub machine: MachineInfo,
    /// Seconds the whole run took.
    pub seconds: f64,
    /// Experiments reused from an earlier run's saved state (`--resume`),
    /// with the revision that produced each.
    #[serde(default)]
    pub resumed: Vec<(String, String)>,
    /// The claims and their verdicts.
    pub claims: Vec<Claim>,
    /// Robustness to settings of every method on E2 and E3 (from the tuning grids).
    #[serde(default)]
    pub robustness: Vec<Robustness>,
    /// E1 per hidden size and optimizer: (hidden, optimizer, chosen spec, success rate, median passes).
    pub xor: Vec<XorSummary>,
    /// E2 and E3.
    pub forecasts: Vec<ForecastSummary>,
    /// E4 sweep over H.
    pub cost_by_hidden: Vec<CostPoint>,
    /// E4 sweep over T.
    pub cost_by_seq_len: Vec<CostPoint>,
}

/// E1 in brief.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct XorSummary {
    /// Hidden units.
    pub hidden: usize,
    /// Optimizer.
    pub optimizer: OptimizerKind,
    /// Chosen hyperparameters.
    pub hyperparameters: String,
    /// Seeds run.
    pub seeds: usize,
    /// Fraction solved.
    pub success_rate: f64,
    /// Median forward-pass equivalents to solve.
    pub median_passes: Option<f64>,
    /// Median steps to solve.
    pub median_steps: Option<f64>,
}

/// E2 / E3 in brief.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForecastSummary {
    /// Experiment.
    pub name: String,
    /// Model parameters.
    pub params: usize,
    /// Persistence: teacher-forced and per horizon.
    pub persistence: forecast::ForecastScores,
    /// Per optimizer.
    pub optimizers: Vec<ForecastOptimizerSummary>,
    /// Ablation rows.
    #[serde(default)]
    pub ablations: Vec<forecast::AblationResult>,
}

/// One optimizer's row of an E2 / E3 table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForecastOptimizerSummary {
    /// Optimizer.
    pub optimizer: OptimizerKind,
    /// Chosen hyperparameters (flagged when on the edge of the grid).
    pub hyperparameters: String,
    /// Median test NRMSE, one step, teacher-forced.
    pub teacher_forced: f64,
    /// Median test NRMSE at equal wall time (when run).
    #[serde(default)]
    pub wall_teacher_forced: Option<f64>,
    /// Median forward-pass equivalents in that wall time (when run).
    #[serde(default)]
    pub wall_passes: Option<f64>,
    /// Median free-running NRMSE per horizon.
    pub free_running: Vec<(usize, f64)>,
}

/// Runs everything and writes the outputs. `meter` is the counting
/// allocator when the binary installed one (E4 then reports measured peak heap).
pub fn reproduce(
    opts: &ReproduceOptions,
    meter: Option<&CountingAllocator>,
) -> Result<Summary, BenchError> {
    let start = Instant::now();
    let dir = opts.configs_dir.as_deref();
    let (xor_cfg, xor_hash): (XorConfig, _) = load(dir, "xor.json", builtin::XOR)?;
    let (mg_cfg, mg_hash): (ForecastConfig, _) =
        load(dir, "mackey_glass.json", builtin::MACKEY_GLASS)?;
    let (lz_cfg, lz_hash): (ForecastConfig, _) = load(dir, "lorenz.json", builtin::LORENZ)?;
    let (cost_cfg, cost_hash): (CostConfig, _) = load(dir, "cost.json", builtin::COST)?;
    let out = &opts.out_dir;
    for sub in ["curves", "figures"] {
        let dir = out.join(sub);
        fs::create_dir_all(&dir).map_err(BenchError::io(&dir))?;
    }
    // Detected before anything is written, so the revision is the code's,
    // not dirtied by this run's own output.
    let machine = MachineInfo::detect();
    let state = StageStore::new(out, opts.mode, opts.resume, &machine.git_revision)?;

    let stage = |name: &str, runs: u64| {
        eprintln!(
            "[reproduce] {name}: {runs} training runs ({:.0} s so far)",
            start.elapsed().as_secs_f64()
        );
        Progress::new(runs, name)
    };
    let xor_results = state.run("e1_xor", xor_hash, || {
        let bar = stage("E1 XOR", xor::run_count(&xor_cfg, opts.mode));
        let r = xor::run(&xor_cfg, opts.mode, &bar);
        bar.finish();
        r
    })?;
    let mg = state.run("e2_mackey_glass", mg_hash, || {
        let bar = stage("E2 Mackey-Glass", forecast::run_count(&mg_cfg, opts.mode));
        let r = forecast::run(&mg_cfg, opts.mode, &bar);
        bar.finish();
        r
    })?;
    let lz = state.run("e3_lorenz", lz_hash, || {
        let bar = stage("E3 Lorenz-63", forecast::run_count(&lz_cfg, opts.mode));
        let r = forecast::run(&lz_cfg, opts.mode, &bar);
        bar.finish();
        r
    })?;
    let (by_h, by_t) = state.run("e4_cost", cost_hash, || {
        eprintln!(
            "[reproduce] E4 cost ({:.0} s so far)",
            start.elapsed().as_secs_f64()
        );
        cost::run(&cost_cfg, opts.mode, meter)
    })?;

    let forecasts = [mg, lz];
    let claims = vec![
        c1(&xor_results, &forecasts),
        c2(&xor_results, &forecasts),
        c3(&by_t, &forecasts),
    ];
    let robustness = robustness(&forecasts);
    write_curves(out, &xor_results, &forecasts)?;
    write_cost_csv(out, &by_h, &by_t)?;
    let figures = write_figures(out, &xor_results, &forecasts, &by_h, &by_t)?;

    let summary = Summary {
        mode: opts.mode,
        command: opts.command.clone(),
        machine,
        seconds: start.elapsed().as_secs_f64(),
        resumed: state.resumed(),
        claims,
        robustness,
        xor: xor_results
            .iter()
            .map(|r| XorSummary {
                hidden: r.hidden,
                optimizer: r.optimizer,
                hyperparameters: r.tuned.describe_flagged(),
                seeds: r.runs.len(),
                success_rate: r.success_rate,
                median_passes: r.median_passes,
                median_steps: r.median_steps,
            })
            .collect(),
        forecasts: forecasts
            .iter()
            .map(|f| ForecastSummary {
                name: f.name.clone(),
                params: f.params,
                persistence: f.persistence.clone(),
                ablations: f.ablations.clone(),
                optimizers: f
                    .results
                    .iter()
                    .map(|r| ForecastOptimizerSummary {
                        optimizer: r.optimizer,
                        hyperparameters: r.tuned.describe_flagged(),
                        teacher_forced: r.median_teacher_forced,
                        wall_teacher_forced: r.wall.as_ref().map(|w| w.median_teacher_forced),
                        wall_passes: r.wall.as_ref().map(|w| w.median_passes),
                        free_running: r.median_free_running.clone(),
                    })
                    .collect(),
            })
            .collect(),
        cost_by_hidden: by_h,
        cost_by_seq_len: by_t,
    };
    let json = serde_json::to_string_pretty(&summary)
        .map_err(|e| BenchError::Setup(format!("summary.json: {e}")))?;
    write_file(&out.join("summary.json"), json)?;
    write_file(
        &out.join("report.md"),
        report_markdown(&summary, &xor_cfg, &mg_cfg, &lz_cfg, &figures),
    )?;
    Ok(summary)
}

/// Writes `contents` to `path`; an error names the path.
fn write_file(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), BenchError> {
    fs::write(path, contents).map_err(BenchError::io(path))
}

/// Writes a CSV file (the `csv` crate): a header and one record per row,
/// every field already formatted; an error names the path.
fn write_csv<const N: usize>(
    path: &Path,
    header: [&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) -> Result<(), BenchError> {
    let io = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(source) => BenchError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => BenchError::Setup(format!("{}: {other:?}", path.display())),
    };
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(path)
        .map_err(io)?;
    w.write_record(header).map_err(io)?;
    for row in rows {
        w.write_record(&row).map_err(io)?;
    }
    w.flush().map_err(BenchError::io(path))
}

/// A training curve's columns.
const CURVE_HEADER: [&str; 11] = [
    "step",
    "loss",
    "effective_eta",
    "last_delta",
    "expected_rpe",
    "surprise_size",
    "rejected_steps",
    "forward_passes",
    "backward_passes",
    "flops",
    "seconds",
];

fn curve_row(r: &Record) -> [String; 11] {
    [
        r.step.to_string(),
        r.loss.to_string(),
        r.effective_eta.to_string(),
        r.last_delta.to_string(),
        r.expected_rpe.to_string(),
        r.surprise_size.to_string(),
        r.rejected_steps.to_string(),
        r.forward_passes.to_string(),
        r.backward_passes.to_string(),
        r.flops.to_string(),
        r.seconds.to_string(),
    ]
}

fn write_curves(
    out: &Path,
    xor: &[XorResult],
    forecasts: &[ForecastReport],
) -> Result<(), BenchError> {
    for r in xor {
        let path = out.join(format!(
            "curves/xor_h{}_{}_seed0.csv",
            r.hidden,
            slug(r.optimizer)
        ));
        write_csv(&path, CURVE_HEADER, r.curve_seed0.iter().map(curve_row))?;
    }
    for f in forecasts {
        for r in &f.results {
            for run in &r.runs {
                let path = out.join(format!(
                    "curves/{}_{}_seed{}.csv",
                    f.name,
                    slug(r.optimizer),
                    run.seed
                ));
                write_csv(&path, CURVE_HEADER, run.curve.iter().map(curve_row))?;
            }
        }
    }
    Ok(())
}

fn write_cost_csv(out: &Path, by_h: &[CostPoint], by_t: &[CostPoint]) -> Result<(), BenchError> {
    let header = [
        "optimizer",
        "step",
        "precision",
        "hidden",
        "seq_len",
        "params",
        "seconds_per_step",
        "flops_per_step",
        "gflops",
        "accounted_bytes",
        "peak_heap_bytes",
    ];
    let rows = by_h.iter().chain(by_t).map(|p| {
        [
            p.optimizer.to_string(),
            p.shape.label(),
            p.precision.name().to_string(),
            p.hidden.to_string(),
            p.seq_len.to_string(),
            p.params.to_string(),
            p.seconds_per_step.to_string(),
            p.flops_per_step.to_string(),
            p.gflops.to_string(),
            p.accounted_bytes.to_string(),
            p.peak_heap_bytes.map_or(String::new(), |b| b.to_string()),
        ]
    });
    write_csv(&out.join("curves/cost.csv"), header, rows)
}

fn slug(kind: OptimizerKind) -> String {
    kind.name().to_lowercase().replace('-', "")
}

/// Draws every figure; returns their names (relative to the output folder).
fn write_figures(
    out: &Path,
    xor: &[XorResult],
    forecasts: &[ForecastReport],
    by_h: &[CostPoint],
    by_t: &[CostPoint],
) -> Result<Vec<String>, BenchError> {
    let mut names = Vec::new();
    let fig = |name: &str| out.join("figures").join(name);
    // XOR success rates.
    let mut hidden: Vec<usize> = xor.iter().map(|r| r.hidden).collect();
    hidden.dedup();
    let groups = hidden
        .iter()
        .map(|&h| BarGroup {
            label: format!("XOR 2-{h}-1"),
            values: xor
                .iter()
                .filter(|r| r.hidden == h)
                .map(|r| (r.optimizer.to_string(), 100.0 * r.success_rate))
                .collect(),
        })
        .collect();
    write_bar_plot(
        &BarPlot {
            title: "XOR: runs solved within the step budget".into(),
            y_label: "success rate (%)".into(),
            groups,
            y_max: Some(105.0),
        },
        &fig("xor_success"),
    )?;
    names.push("figures/xor_success.png".into());
    for f in forecasts {
        for r in &f.results {
            // The chosen variant's plane of the grid.
            let plane: Vec<_> = r
                .tuned
                .scores
                .iter()
                .filter(|c| c.variant == r.tuned.chosen_variant)
                .collect();
            let mut rates: Vec<f64> = plane.iter().map(|c| c.rate).collect();
            let mut seconds: Vec<f64> = plane.iter().map(|c| c.second).collect();
            for v in [&mut rates, &mut seconds] {
                v.sort_by(f64::total_cmp);
                v.dedup();
            }
            let cells = seconds
                .iter()
                .map(|&y| {
                    rates
                        .iter()
                        .map(|&x| {
                            plane
                                .iter()
                                .find(|c| c.rate == x && c.second == y)
                                .map_or(f64::NAN, |c| c.score)
                        })
                        .collect()
                })
                .collect();
            let stem = format!("{}_grid_{}", f.name, slug(r.optimizer));
            write_heat_map(
                &HeatMap {
                    title: if plane.len() < r.tuned.scores.len() {
                        format!(
                            "{}: {} validation NRMSE, chosen variant of its grid",
                            f.name, r.optimizer
                        )
                    } else {
                        format!(
                            "{}: {} validation NRMSE over its tuning grid",
                            f.name, r.optimizer
                        )
                    },
                    x_label: crate::experiments::tuning::rate_name(r.optimizer).into(),
                    y_label: r.tuned.second_axis.clone(),
                    x_values: rates.iter().map(|v| fmt_sig(*v, 3)).collect(),
                    y_values: seconds.iter().map(|v| fmt_sig(*v, 3)).collect(),
                    cells,
                },
                &fig(&stem),
            )?;
            names.push(format!("figures/{stem}.png"));
        }
        // Test NRMSE against wall time at the equal-wall-time budget.
        let curves: Vec<Curve> = f
            .results
            .iter()
            .filter_map(|r| {
                let w = r.wall.as_ref()?;
                let ys: Vec<Vec<f64>> = w
                    .runs
                    .iter()
                    .map(|run| run.test_curve.iter().map(|p| p.nrmse).collect())
                    .collect();
                let ts: Vec<Vec<f64>> = w
                    .runs
                    .iter()
                    .map(|run| run.test_curve.iter().map(|p| p.seconds).collect())
                    .collect();
                let xs = band(&ts, 0.5, 0.5).median;
                let b = band(&ys, 0.25, 0.75);
                let n = xs.len().min(b.median.len());
                if n == 0 {
                    return None;
                }
                let mut c = b.into_curve(r.optimizer.to_string(), &xs[..n]);
                c.x.truncate(n);
                c.y.truncate(n);
                if let Some(band) = &mut c.band {
                    band.lo.truncate(n);
                    band.hi.truncate(n);
                }
                Some(c)
            })
            .collect();
        if !curves.is_empty() {
            let stem = format!("{}_test_vs_time", f.name);
            write_line_plot(
                &LinePlot {
                    title: format!(
                        "{}: test NRMSE at equal wall time (median, 25-75% over seeds)",
                        f.name
                    ),
                    x_label: "training wall time (s)".into(),
                    y_label: "test NRMSE (1 step, teacher-forced)".into(),
                    x_scale: Scale::Linear,
                    y_scale: Scale::Log10,
                    curves,
                },
                &fig(&stem),
            )?;
            names.push(format!("figures/{stem}.png"));
        }
        for (x_label, by_time) in [("forward-pass equivalents", false), ("wall time (s)", true)] {
            let curves = f
                .results
                .iter()
                .filter_map(|r| {
                    let ys: Vec<Vec<f64>> = r
                        .runs
                        .iter()
                        .map(|run| run.curve.iter().map(|c| c.loss).collect())
                        .collect();
                    let first = r.runs.first()?;
                    let xs: Vec<f64> = if by_time {
                        // Median wall time at each record across seeds.
                        let ts: Vec<Vec<f64>> = r
                            .runs
                            .iter()
                            .map(|run| run.curve.iter().map(|c| c.seconds).collect())
                            .collect();
                        band(&ts, 0.5, 0.5).median
                    } else {
                        first
                            .curve
                            .iter()
                            .map(|c| (c.forward_passes + c.backward_passes) as f64)
                            .collect()
                    };
                    let b = band(&ys, 0.25, 0.75);
                    let n = xs.len().min(b.median.len());
                    if n == 0 {
                        return None;
                    }
                    let mut c = b.into_curve(r.optimizer.to_string(), &xs[..n.min(xs.len())]);
                    c.x.truncate(n);
                    c.y.truncate(n);
                    if let Some(band) = &mut c.band {
                        band.lo.truncate(n);
                        band.hi.truncate(n);
                    }
                    Some(c)
                })
                .collect();
            let stem = format!(
                "{}_loss_{}",
                f.name,
                if by_time { "time" } else { "passes" }
            );
            write_line_plot(
                &LinePlot {
                    title: format!("{}: training loss (median, 25-75% over seeds)", f.name),
                    x_label: x_label.into(),
                    y_label: "training MSE (normalised)".into(),
                    x_scale: Scale::Linear,
                    y_scale: Scale::Log10,
                    curves,
                },
                &fig(&stem),
            )?;
            names.push(format!("figures/{stem}.png"));
        }
        for (kind, truth, pick) in [
            ("teacher_forced", &f.example_truth, 0usize),
            ("free_running", &f.example_truth_free, 1usize),
        ] {
            let x: Vec<f64> = (0..truth.len()).map(|i| i as f64).collect();
            let mut curves = vec![Curve {
                label: "truth".into(),
                x: x.clone(),
                y: truth.iter().map(|r| r[0]).collect(),
                band: None,
            }];
            for r in f
                .results
                .iter()
                .filter(|r| matches!(r.optimizer, OptimizerKind::Dopamine1 | OptimizerKind::Adam))
            {
                let pred = if pick == 0 {
                    &r.example_teacher_forced
                } else {
                    &r.example_free_running
                };
                curves.push(Curve {
                    label: format!("{} (seed 0)", r.optimizer),
                    x: x[..pred.len().min(x.len())].to_vec(),
                    y: pred.iter().take(x.len()).map(|r| r[0]).collect(),
                    band: None,
                });
            }
            let stem = format!("{}_prediction_{kind}", f.name);
            write_line_plot(
                &LinePlot {
                    title: format!(
                        "{}: {} prediction vs truth (test part, first dimension)",
                        f.name,
                        kind.replace('_', "-")
                    ),
                    x_label: "time step".into(),
                    y_label: "value (normalised)".into(),
                    x_scale: Scale::Linear,
                    y_scale: Scale::Linear,
                    curves,
                },
                &fig(&stem),
            )?;
            names.push(format!("figures/{stem}.png"));
        }
    }
    for (points, axis, stem) in [
        (by_h, "hidden size H", "cost_vs_hidden"),
        (by_t, "sequence length T", "cost_vs_seq_len"),
    ] {
        for (what, y_label, suffix) in [
            ("time", "seconds per step", "time"),
            ("memory", "bytes", "memory"),
        ] {
            let curves = [OptimizerKind::Dopamine1, OptimizerKind::Adam]
                .into_iter()
                .map(|kind| {
                    let pts: Vec<&CostPoint> = points
                        .iter()
                        .filter(|p| p.optimizer == kind && p.shape == StepShape::Single)
                        .collect();
                    Curve {
                        label: if kind == OptimizerKind::Adam {
                            "Adam-BPTT".into()
                        } else {
                            kind.to_string()
                        },
                        x: pts
                            .iter()
                            .map(|p| {
                                if axis.starts_with('h') {
                                    p.hidden as f64
                                } else {
                                    p.seq_len as f64
                                }
                            })
                            .collect(),
                        y: pts
                            .iter()
                            .map(|p| {
                                if what == "time" {
                                    p.seconds_per_step
                                } else {
                                    p.peak_heap_bytes.unwrap_or(p.accounted_bytes) as f64
                                }
                            })
                            .collect(),
                        band: None,
                    }
                })
                .collect();
            let name = format!("{stem}_{suffix}");
            write_line_plot(
                &LinePlot {
                    title: format!("{what} per training step against {axis}"),
                    x_label: axis.into(),
                    y_label: y_label.into(),
                    x_scale: Scale::Log10,
                    y_scale: Scale::Log10,
                    curves,
                },
                &fig(&name),
            )?;
            names.push(format!("figures/{name}.png"));
        }
    }
    Ok(names)
}

fn opt_fmt(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |v| fmt_sig(v, 3))
}

/// The report's Markdown.
fn report_markdown(
    s: &Summary,
    xor_cfg: &XorConfig,
    mg: &ForecastConfig,
    lz: &ForecastConfig,
    figures: &[String],
) -> String {
    let mut md = String::new();
    let mode = s.mode.label();
    let _ = writeln!(md, "# Dopamine: reproduction report ({mode} mode)\n");
    let _ = writeln!(
        md,
        "Produced by `{}` in {:.0} s. Every number below is measured by that command; every verdict is computed from these numbers by `dopamine_bench::claims`, not written by hand. The rules are this project's formulation of the paper's idea (`docs/algorithm.md`).\n",
        s.command, s.seconds
    );
    if !s.resumed.is_empty() {
        let parts: Vec<String> = s
            .resumed
            .iter()
            .map(|(e, rev)| format!("{e} (revision {rev})"))
            .collect();
        let _ = writeln!(
            md,
            "With `--resume`, these experiments were not rerun: their results come from an earlier run's saved state, produced by the revision given: {}. The time above covers only what this command ran.\n",
            parts.join(", ")
        );
    }
    let _ = writeln!(md, "## Machine and revision\n\n{}", s.machine.to_markdown());
    let _ = writeln!(md, "## Claims\n");
    let mut t = Table::new(["claim", "verdict", "evidence"]);
    for c in &s.claims {
        let evidence: Vec<String> = c
            .checks
            .iter()
            .map(|k| {
                format!(
                    "{} {}: {}",
                    if k.passed { "✓" } else { "✗" },
                    k.what,
                    k.numbers
                )
            })
            .collect();
        t.row([
            format!("{} {}", c.id, c.statement),
            c.verdict.label().to_string(),
            evidence.join("<br>"),
        ]);
    }
    let _ = writeln!(md, "{}", t.render());
    let _ = writeln!(
        md,
        "C1 takes Dopamine's best variant (Dopamine-1 or -2) against the best of WP, OpenES and SNES; C2 and C3 take Dopamine's best variant too. C3's first checks compare cost *per training step*; its last ones the compute to reach the worst final test NRMSE among the methods that beat persistence (a method worse than persistence has not learned the task).\n"
    );
    let _ = writeln!(
        md,
        "## Robustness to settings\n\nFor every method on E2 and E3: the validation NRMSE (median over tuning seeds) over its whole tuning grid — the fraction of the grid within 2x of its best cell and the number of cells that diverged. Heat maps per method are in the figures (`*_grid_*`; for a grid with variants, the plane of the chosen variant).\n"
    );
    let mut t = Table::new([
        "experiment",
        "optimizer",
        "grid",
        "best validation NRMSE",
        "within 2x of best",
        "diverged",
    ]);
    for r in &s.robustness {
        t.row([
            r.experiment.clone(),
            r.optimizer.to_string(),
            if r.shape.is_empty() {
                r.grid.to_string()
            } else {
                format!("{} ({})", r.grid, r.shape)
            },
            fmt_sig(r.best, 3),
            format!("{:.0}%", 100.0 * r.within_2x),
            r.diverged.to_string(),
        ]);
    }
    let _ = writeln!(md, "{}", t.render());
    let seeds = s.xor.first().map_or(0, |x| x.seeds);
    let _ = writeln!(
        md,
        "## E1 XOR\n\nMLP 2-H-1, tanh hidden, sigmoid output, MSE on the 4 patterns (full batch); solved = all four outputs on the right side of 0.5. {seeds} evaluation seeds (0..{seeds}); every optimizer tuned on {} separate seeds over a grid of {} configurations (learning rate x sigma, or learning rate x momentum / beta1; the chosen one is shown, flagged when it lies on the edge of its grid). Every method gets the same budget of {} forward-pass equivalents (a backward pass counts as one forward pass).\n",
        xor_cfg.tuning_seeds.get(s.mode),
        xor_cfg.optimizers.first().map_or(0, |c| c.grid_size()),
        2 * xor_cfg.steps.get(s.mode)
    );
    let mut t = Table::new([
        "net",
        "optimizer",
        "hyperparameters",
        "success",
        "median passes to solve",
        "median steps",
    ]);
    for x in &s.xor {
        t.row([
            format!("2-{}-1", x.hidden),
            x.optimizer.to_string(),
            x.hyperparameters.clone(),
            format!("{:.1}%", 100.0 * x.success_rate),
            opt_fmt(x.median_passes),
            opt_fmt(x.median_steps),
        ]);
    }
    let _ = writeln!(md, "{}", t.render());
    for (f, cfg) in s.forecasts.iter().zip([mg, lz]) {
        let _ = writeln!(
            md,
            "## {}\n\nElman RNN, H = {} ({} parameters), one step ahead, teacher-forced, washout {}; {} samples split {:.0}/{:.0}/{:.0}% in time order, z-scored on the training part. Budget {} forward-pass equivalents per run (every evaluation counted: a gradient step costs 2, forward + backward; a Dopamine step with K antithetic probes and no baseline 2K; OpenES 2K; SNES its population); {} evaluation seeds; every method tuned on the validation part with {} tuning seed(s) over a grid of {} configurations per method (its axes are in the robustness table: learning rate x sigma or momentum / beta1, times the variants of the step where the config lists some, each variant's settings shown in the pick; chosen one shown, flagged on the edge of a numeric axis).{} NRMSE = RMSE / standard deviation of the target over the test part, per dimension, averaged. Free-running: from {} origins in the test part, {} teacher-forced context steps, then outputs fed back; NRMSE of the h-th prediction.\n",
            f.name,
            cfg.hidden,
            f.params,
            cfg.washout,
            cfg.samples.get(s.mode),
            100.0 * cfg.train_fraction,
            100.0 * cfg.validation_fraction,
            100.0 * (1.0 - cfg.train_fraction - cfg.validation_fraction),
            cfg.budget.get(s.mode),
            cfg.seeds.get(s.mode),
            cfg.tuning_seeds.get(s.mode),
            cfg.optimizers.first().map_or(0, |c| c.grid_size()),
            cfg.seconds.as_ref().map_or(String::new(), |sec| format!(
                " Equal wall time: the same chosen configurations train for {} s per seed, one run per core at a time, nothing else of the experiment running meanwhile; the schedule's length is the steps the method made per second at equal passes.",
                sec.get(s.mode)
            )),
            cfg.origins,
            cfg.context
        );
        let mut headers = vec![
            "model".to_string(),
            "hyperparameters".into(),
            "test NRMSE (1 step, TF)".into(),
        ];
        headers.extend(
            f.persistence
                .free_running
                .iter()
                .map(|(h, _)| format!("free-running h={h}")),
        );
        let timed = f.optimizers.iter().any(|o| o.wall_teacher_forced.is_some());
        if timed {
            headers.push("test NRMSE, equal wall time".into());
            headers.push("passes in that time".into());
        }
        let mut t = Table::new(headers);
        let mut row = vec![
            "persistence".to_string(),
            "-".into(),
            fmt_sig(f.persistence.teacher_forced, 3),
        ];
        row.extend(
            f.persistence
                .free_running
                .iter()
                .map(|(_, v)| fmt_sig(*v, 3)),
        );
        if timed {
            row.extend(["-".to_string(), "-".to_string()]);
        }
        t.row(row);
        for o in &f.optimizers {
            let mut row = vec![
                o.optimizer.to_string(),
                o.hyperparameters.clone(),
                fmt_sig(o.teacher_forced, 3),
            ];
            row.extend(o.free_running.iter().map(|(_, v)| fmt_sig(*v, 3)));
            if timed {
                row.push(o.wall_teacher_forced.map_or("-".into(), |v| fmt_sig(v, 3)));
                row.push(o.wall_passes.map_or("-".into(), |v| fmt_sig(v, 3)));
            }
            t.row(row);
        }
        let _ = writeln!(md, "{}", t.render());
        if !f.ablations.is_empty() {
            let _ = writeln!(
                md,
                "Ablations on {}: each row changes one knob of a tuned Dopamine configuration (its sigma and eta are the tuned ones, not re-tuned), same budget in forward passes, same evaluation seeds.\n",
                f.name
            );
            let mut t = Table::new([
                "variant",
                "configuration",
                "passes per step",
                "test NRMSE (1 step, TF), median",
            ]);
            for a in &f.ablations {
                t.row([
                    a.label.clone(),
                    a.hyperparameters.clone(),
                    a.passes_per_step.to_string(),
                    fmt_sig(a.median_teacher_forced, 3),
                ]);
            }
            let _ = writeln!(md, "{}", t.render());
        }
    }
    let _ = writeln!(
        md,
        "## E4 cost per training step\n\nElman RNN with 1-D input and output, in {precision}; Dopamine-1 with one probe (two forward passes per step, one after the other) against Adam with full BPTT (one forward and one backward pass), and a batched Dopamine-1 step ({batched}: 16 antithetic rank-1 probes, the safety net from the probes, 32 points evaluated in one population sweep of the model). The three steps of each row group are timed interleaved, in turn, and each time is the median of its samples; `vs Adam` is the step's time over Adam-BPTT's in the same group, and `per pass` the time per forward pass over Adam's time per step. FLOPs come from the models' own accounting; memory is the peak heap of building and running the trainer measured by a counting allocator (or, without one, the accounted bytes).\n",
        precision = s
            .cost_by_hidden
            .first()
            .map_or("f32", |p| p.precision.name()),
        batched = cost::BATCHED.label(),
    );
    let mut t = Table::new([
        "optimizer",
        "step",
        "H",
        "T",
        "params",
        "s/step",
        "vs Adam",
        "per pass",
        "FLOPs/step",
        "GFLOP/s",
        "peak heap (B)",
        "accounted (B)",
    ]);
    for sweep in [&s.cost_by_hidden, &s.cost_by_seq_len] {
        for p in sweep.iter() {
            let adam = sweep
                .iter()
                .find(|a| {
                    a.optimizer == OptimizerKind::Adam
                        && a.hidden == p.hidden
                        && a.seq_len == p.seq_len
                })
                .map_or(f64::NAN, |a| a.seconds_per_step);
            t.row([
                p.optimizer.to_string(),
                if p.optimizer.uses_gradients() {
                    "full BPTT".into()
                } else {
                    p.shape.label()
                },
                p.hidden.to_string(),
                p.seq_len.to_string(),
                p.params.to_string(),
                fmt_sig(p.seconds_per_step, 3),
                fmt_sig(p.seconds_per_step / adam, 3),
                fmt_sig(
                    p.seconds_per_step / p.forward_passes.max(1) as f64 / adam,
                    3,
                ),
                fmt_sig(p.flops_per_step as f64, 3),
                fmt_sig(p.gflops, 3),
                p.peak_heap_bytes.map_or("n/a".into(), |b| b.to_string()),
                p.accounted_bytes.to_string(),
            ]);
        }
    }
    let _ = writeln!(md, "{}", t.render());
    let _ = writeln!(md, "## Figures\n");
    for f in figures {
        let _ = writeln!(md, "![{f}]({f})\n");
    }
    let _ = writeln!(
        md,
        "Per-run curves are CSV files under `curves/`; `summary.json` holds every number above."
    );
    md
}
