//! E2's and E3's figures: a heat map of every method's tuning grid, test NRMSE against wall time at the equal-wall-time budget, training loss against passes and time, and predictions against the truth.

use std::path::{Path, PathBuf};

use dopamine_plot::{Curve, HeatMap, LinePlot, Scale, write_heat_map, write_line_plot};
use dopamine_train::OptimizerKind;

use super::results::ForecastReport;
use crate::error::BenchError;
use crate::experiments::tuning::rate_name;
use crate::markdown::fmt_sig;
use crate::output::slug;
use crate::stats::band;

/// Draws every figure of `f` under `out/figures/`; returns their PNG paths
/// relative to `out`.
pub fn write_figures(out: &Path, f: &ForecastReport) -> Result<Vec<String>, BenchError> {
    let fig = |name: &str| out.join("figures").join(name);
    let mut names = Vec::new();
    grid_heat_maps(f, &fig, &mut names)?;
    test_vs_time(f, &fig, &mut names)?;
    loss_curves(f, &fig, &mut names)?;
    predictions(f, &fig, &mut names)?;
    Ok(names)
}

/// The chosen variant's plane of every method's tuning grid (`<name>_grid_<method>`).
fn grid_heat_maps(
    f: &ForecastReport,
    fig: &dyn Fn(&str) -> PathBuf,
    names: &mut Vec<String>,
) -> Result<(), BenchError> {
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
                x_label: rate_name(r.optimizer).into(),
                y_label: r.tuned.second_axis.clone(),
                x_values: rates.iter().map(|v| fmt_sig(*v, 3)).collect(),
                y_values: seconds.iter().map(|v| fmt_sig(*v, 3)).collect(),
                cells,
            },
            &fig(&stem),
        )?;
        names.push(format!("figures/{stem}.png"));
    }
    Ok(())
}

/// Test NRMSE against wall time at the equal-wall-time budget (`<name>_test_vs_time`).
fn test_vs_time(
    f: &ForecastReport,
    fig: &dyn Fn(&str) -> PathBuf,
    names: &mut Vec<String>,
) -> Result<(), BenchError> {
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
    Ok(())
}

/// Training loss against forward passes and against wall time (`<name>_loss_passes`, `<name>_loss_time`).
fn loss_curves(
    f: &ForecastReport,
    fig: &dyn Fn(&str) -> PathBuf,
    names: &mut Vec<String>,
) -> Result<(), BenchError> {
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
    Ok(())
}

/// Dopamine-1's and Adam's predictions of seed 0 against the truth,
/// teacher-forced and free-running (`<name>_prediction_<kind>`).
fn predictions(
    f: &ForecastReport,
    fig: &dyn Fn(&str) -> PathBuf,
    names: &mut Vec<String>,
) -> Result<(), BenchError> {
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
    Ok(())
}
