//! The figures a run writes with `dopamine-plot`, each as SVG and PNG: `fit`'s training loss and its test predictions against the targets, `compare`'s test NRMSE per optimizer beside persistence.

use std::path::Path;

use dopamine_plot::{BarGroup, BarPlot, Curve, LinePlot, Scale, write_bar_plot, write_line_plot};
use dopamine_tasks::Series;
use dopamine_train::Record;

use crate::data::Table;

/// Columns drawn in the predictions figure at most (the first ones); the
/// rest are in `predictions.csv`.
const MAX_COLUMNS: usize = 3;

/// Writes `fit`'s figures into `dir`: `loss.svg`/`.png` (training loss by
/// forward-pass equivalents) and `predictions.svg`/`.png` (targets and
/// predictions over the test part, rows from `first_row`, in the data's
/// units). A figure that cannot be drawn (a diverged run has no finite
/// points) is skipped, and why is returned as a warning: the run's numbers
/// are written either way.
pub fn fit_figures(
    dir: &Path,
    name: &str,
    curve: &[Record],
    table: &Table,
    first_row: usize,
    targets: &Series,
    predictions: Option<&Series>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let loss = LinePlot {
        title: format!("{name}: training loss"),
        x_label: "forward-pass equivalents".into(),
        y_label: "training MSE (z-scored)".into(),
        x_scale: Scale::Linear,
        y_scale: Scale::Log10,
        curves: vec![Curve {
            label: name.to_string(),
            x: curve
                .iter()
                .map(|r| (r.forward_passes + r.backward_passes) as f64)
                .collect(),
            y: curve.iter().map(|r| r.loss).collect(),
            band: None,
        }],
    };
    if let Err(e) = write_line_plot(&loss, &dir.join("loss")) {
        warnings.push(format!("no loss figure: {e}"));
    }
    let Some(predictions) = predictions else {
        warnings.push("no predictions figure: the run diverged".into());
        return warnings;
    };
    let rows: Vec<f64> = (0..targets.len())
        .map(|t| (first_row + t + 1) as f64)
        .collect();
    let mut curves = Vec::new();
    for (c, column) in table.names.iter().enumerate().take(MAX_COLUMNS) {
        for (label, series) in [
            (column.clone(), targets),
            (format!("{column} predicted"), predictions),
        ] {
            curves.push(Curve {
                label,
                x: rows.clone(),
                y: (0..series.len()).map(|t| series.row(t)[c]).collect(),
                band: None,
            });
        }
    }
    let plot = LinePlot {
        title: format!("{name}: one-step predictions over the test part"),
        x_label: "row".into(),
        y_label: "value".into(),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        curves,
    };
    if let Err(e) = write_line_plot(&plot, &dir.join("predictions")) {
        warnings.push(format!("no predictions figure: {e}"));
    }
    warnings
}

/// Writes `compare`'s figure into `dir`: `nrmse.svg`/`.png`, the median
/// test NRMSE of each `(optimizer, value)` and persistence's. Returns a
/// warning when nothing could be drawn (every run diverged).
pub fn compare_figure(dir: &Path, medians: &[(String, f64)], floor: f64) -> Option<String> {
    let mut values = medians.to_vec();
    values.push(("persistence".into(), floor));
    let plot = BarPlot {
        title: "test NRMSE (median over seeds)".into(),
        y_label: "test NRMSE".into(),
        groups: vec![BarGroup {
            label: String::new(),
            values,
        }],
        y_max: None,
    };
    write_bar_plot(&plot, &dir.join("nrmse"))
        .err()
        .map(|e| format!("no NRMSE figure: {e}"))
}
