//! E5's report: the alignment and test-NRMSE tables, the CSV files, the figures (cosine and test NRMSE against H) and its part of `summary.json`.

use std::fmt::Write as _;
use std::path::Path;

use dopamine_plot::{Band, Curve, LinePlot, Scale, write_line_plot};
use dopamine_train::OptimizerKind;
use serde::{Deserialize, Serialize};

use super::alignment::Estimator;
use super::config::ScalingConfig;
use super::run::{Point, ScalingResults};
use crate::error::BenchError;
use crate::markdown::{Table, fmt_sig};
use crate::mode::Mode;
use crate::output::write_csv;
use crate::stats::{median, quantile};

/// One row of E5 in `summary.json`: a rule's median cosine at a size and
/// point, or a method's median test NRMSE at a size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingSummary {
    /// Hidden units.
    pub hidden: usize,
    /// The rule or method.
    pub method: String,
    /// `cosine at initialisation`, `cosine mid-training` or `test NRMSE`.
    pub measure: String,
    /// The median over seeds.
    pub median: f64,
}

/// Every row of the summary.
pub fn summary_rows(results: &ScalingResults) -> Vec<ScalingSummary> {
    let mut rows: Vec<ScalingSummary> = results
        .alignment
        .iter()
        .map(|a| ScalingSummary {
            hidden: a.hidden,
            method: a.estimator.name().into(),
            measure: format!("cosine at {}", a.point.name()),
            median: median(&a.cosines),
        })
        .collect();
    for f in &results.forecasts {
        for r in &f.report.results {
            rows.push(ScalingSummary {
                hidden: f.hidden,
                method: r.optimizer.to_string(),
                measure: "test NRMSE".into(),
                median: r.median_teacher_forced,
            });
        }
    }
    rows
}

/// `curves/scaling_alignment.csv` (every cosine) and
/// `curves/scaling_nrmse.csv` (every evaluation run's test NRMSE).
pub fn write_csv_tables(out: &Path, results: &ScalingResults) -> Result<(), BenchError> {
    let rows = results.alignment.iter().flat_map(|a| {
        a.cosines.iter().enumerate().map(move |(seed, c)| {
            [
                a.hidden.to_string(),
                a.params.to_string(),
                a.point.name().to_string(),
                a.estimator.name().to_string(),
                a.passes.to_string(),
                seed.to_string(),
                c.to_string(),
            ]
        })
    });
    write_csv(
        &out.join("curves/scaling_alignment.csv"),
        [
            "hidden", "params", "point", "rule", "passes", "seed", "cosine",
        ],
        rows,
    )?;
    let rows = results.forecasts.iter().flat_map(|f| {
        f.report.results.iter().flat_map(move |r| {
            r.runs.iter().enumerate().map(move |(seed, run)| {
                [
                    f.hidden.to_string(),
                    r.optimizer.to_string(),
                    r.tuned.chosen.describe(),
                    seed.to_string(),
                    run.test.teacher_forced.to_string(),
                ]
            })
        })
    });
    write_csv(
        &out.join("curves/scaling_nrmse.csv"),
        ["hidden", "optimizer", "chosen", "seed", "test_nrmse"],
        rows,
    )
}

/// The figures: cosine with the gradient against H (median over seeds,
/// band min to max) at both points, and test NRMSE against H.
pub fn write_figures(out: &Path, results: &ScalingResults) -> Result<Vec<String>, BenchError> {
    let hidden: Vec<usize> = results.forecasts.iter().map(|f| f.hidden).collect();
    let sizes: Vec<usize> = {
        let mut s: Vec<usize> = results.alignment.iter().map(|a| a.hidden).collect();
        s.dedup();
        s
    };
    let mut curves = Vec::new();
    for point in [Point::Init, Point::Mid] {
        for estimator in Estimator::ALL {
            let rows: Vec<_> = results
                .alignment
                .iter()
                .filter(|a| a.point == point && a.estimator == estimator)
                .collect();
            let of = |q: f64| rows.iter().map(|a| quantile(&a.cosines, q)).collect();
            curves.push(Curve {
                label: format!("{} ({})", estimator.name(), point.name()),
                x: sizes.iter().map(|&h| h as f64).collect(),
                y: of(0.5),
                band: Some(Band {
                    lo: of(0.0),
                    hi: of(1.0),
                }),
            });
        }
    }
    write_line_plot(
        &LinePlot {
            title: "cosine of one update's estimate with minus the BPTT gradient".into(),
            x_label: "hidden size H".into(),
            y_label: "cosine (median, band min-max over seeds)".into(),
            x_scale: Scale::Log10,
            y_scale: Scale::Linear,
            curves,
        },
        &out.join("figures/scaling_cosine"),
    )?;
    let kinds: Vec<OptimizerKind> = results
        .forecasts
        .first()
        .map(|f| f.report.results.iter().map(|r| r.optimizer).collect())
        .unwrap_or_default();
    let curves = kinds
        .iter()
        .map(|&kind| {
            let of = |q: f64| -> Vec<f64> {
                results
                    .forecasts
                    .iter()
                    .map(|f| {
                        f.report
                            .results
                            .iter()
                            .find(|r| r.optimizer == kind)
                            .map_or(f64::NAN, |r| {
                                let v: Vec<f64> =
                                    r.runs.iter().map(|x| x.test.teacher_forced).collect();
                                quantile(&v, q)
                            })
                    })
                    .collect()
            };
            Curve {
                label: kind.to_string(),
                x: hidden.iter().map(|&h| h as f64).collect(),
                y: of(0.5),
                band: Some(Band {
                    lo: of(0.0),
                    hi: of(1.0),
                }),
            }
        })
        .collect();
    write_line_plot(
        &LinePlot {
            title: "test NRMSE at equal passes against hidden size".into(),
            x_label: "hidden size H".into(),
            y_label: "test one-step NRMSE (median, band min-max)".into(),
            x_scale: Scale::Log10,
            y_scale: Scale::Log10,
            curves,
        },
        &out.join("figures/scaling_nrmse"),
    )?;
    Ok(vec![
        "figures/scaling_cosine.png".into(),
        "figures/scaling_nrmse.png".into(),
    ])
}

/// E5's section of `report.md`.
pub fn section(config: &ScalingConfig, results: &ScalingResults, mode: Mode) -> String {
    let f = &config.forecast;
    let a = &config.alignment;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## E5 scaling with hidden size\n\n\
         Mackey-Glass, E2's protocol at H = {sizes}: {samples} samples, an Elman RNN trained in {precision} for {budget} forward-pass equivalents, every method tuned on the validation part ({tuning} tuning seeds, the grids of `scaling.json`) and evaluated on the test part over {seeds} seeds. This is cut from E2 to keep `reproduce` within its hour: a smaller budget, fewer seeds and methods, grids of {grid} points, no equal-wall-time runs and no ablations.\n\n\
         **Alignment.** The cosine between one update's estimate and minus the BPTT gradient on the training part (in `f64`), over {aseeds} network seeds: at the initial weights and after {mid} passes of Adam (lr {lr}; the same weights for every rule). Dopamine-1: one antithetic weight-perturbation probe (sigma {s1}, 2 passes), `-(L+ - L-) z`. Dopamine-3: one sweep of two copies with antithetic neuron noise (sigma {s3}, lambda {l3}, 2 passes), `Rnn::node_estimate`. OpenES: its population of {pairs} antithetic pairs (sigma {se}, {pe} passes) with centred ranks. A random direction has cosine about `1/sqrt(P)` with the gradient.\n",
        sizes = config
            .hidden_sizes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        samples = f.samples.get(mode),
        precision = f.precision.name(),
        budget = f.budget.get(mode),
        tuning = f.tuning_seeds.get(mode),
        seeds = f.seeds.get(mode),
        grid = f.optimizers.first().map_or(0, |c| c.grid_size()),
        aseeds = a.seeds.get(mode),
        mid = results.mid_passes,
        lr = a.adam_lr,
        s1 = a.dopamine1_sigma,
        s3 = a.dopamine3_sigma,
        l3 = a.dopamine3_lambda,
        pairs = a.openes_pairs,
        se = a.openes_sigma,
        pe = Estimator::OpenEs.passes(a),
    );
    let mut t = Table::new([
        "H",
        "params",
        "1/sqrt(P)",
        "point",
        "rule",
        "passes",
        "median cosine",
        "min",
        "max",
    ]);
    for r in &results.alignment {
        t.row([
            r.hidden.to_string(),
            r.params.to_string(),
            fmt_sig(1.0 / (r.params as f64).sqrt(), 2),
            r.point.name().into(),
            r.estimator.name().into(),
            r.passes.to_string(),
            fmt_sig(median(&r.cosines), 3),
            fmt_sig(quantile(&r.cosines, 0.0), 3),
            fmt_sig(quantile(&r.cosines, 1.0), 3),
        ]);
    }
    md.push_str(&t.render());
    let _ = writeln!(
        md,
        "\n**Test NRMSE at equal passes** ({budget} passes; median over seeds; the chosen configuration of each method at each H):\n",
        budget = f.budget.get(mode)
    );
    let mut t = Table::new(["H", "params", "optimizer", "chosen", "median test NRMSE"]);
    for s in &results.forecasts {
        for r in &s.report.results {
            t.row([
                s.hidden.to_string(),
                s.report.params.to_string(),
                r.optimizer.to_string(),
                r.tuned.chosen.describe(),
                fmt_sig(r.median_teacher_forced, 3),
            ]);
        }
        t.row([
            s.hidden.to_string(),
            s.report.params.to_string(),
            "persistence".into(),
            String::new(),
            fmt_sig(s.report.persistence.teacher_forced, 3),
        ]);
    }
    md.push_str(&t.render());
    let times: Vec<String> = results
        .forecasts
        .iter()
        .map(|s| format!("{:.0} s at H = {}", s.seconds, s.hidden))
        .collect();
    let _ = writeln!(
        md,
        "\nRun time: the alignment measurement {:.0} s; the protocol {}.\n",
        results.alignment_seconds,
        times.join(", ")
    );
    md
}
