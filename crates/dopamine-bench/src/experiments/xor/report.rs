//! E1's report: its rows of `summary.json`, its section of `report.md`, its curves and its figure.

use std::fmt::Write as _;
use std::path::Path;

use dopamine_plot::{BarGroup, BarPlot, write_bar_plot};
use dopamine_train::OptimizerKind;
use serde::{Deserialize, Serialize};

use super::config::XorConfig;
use super::run::XorResult;
use crate::config::Precision;
use crate::error::BenchError;
use crate::markdown::{Table, fmt_sig};
use crate::mode::Mode;
use crate::output::{slug, write_curve};

/// E1 in brief: one optimizer on one network size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct XorSummary {
    /// Hidden units.
    pub hidden: usize,
    /// The precision the network trained in.
    #[serde(default = "Precision::before_the_field")]
    pub precision: Precision,
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

/// The summary rows of E1's results.
pub fn summarize(results: &[XorResult]) -> Vec<XorSummary> {
    results
        .iter()
        .map(|r| XorSummary {
            hidden: r.hidden,
            precision: r.precision,
            optimizer: r.optimizer,
            hyperparameters: r.tuned.describe_flagged(),
            seeds: r.runs.len(),
            success_rate: r.success_rate,
            median_passes: r.median_passes,
            median_steps: r.median_steps,
        })
        .collect()
}

fn opt_fmt(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |v| fmt_sig(v, 3))
}

/// E1's section of `report.md`.
pub fn section(rows: &[XorSummary], config: &XorConfig, mode: Mode) -> String {
    let mut md = String::new();
    let seeds = rows.first().map_or(0, |x| x.seeds);
    let _ = writeln!(
        md,
        "## E1 XOR\n\nMLP 2-H-1 in {}, tanh hidden, sigmoid output, MSE on the 4 patterns (full batch); solved = all four outputs on the right side of 0.5. {seeds} evaluation seeds (0..{seeds}); every optimizer tuned on {} separate seeds over a grid of {} configurations (learning rate x sigma, or learning rate x momentum / beta1; the chosen one is shown, flagged when it lies on the edge of its grid). Every method gets the same budget of {} forward-pass equivalents (a backward pass counts as one forward pass).\n",
        config.precision.name(),
        config.tuning_seeds.get(mode),
        config.optimizers.first().map_or(0, |c| c.grid_size()),
        2 * config.steps.get(mode)
    );
    let mut t = Table::new([
        "net",
        "optimizer",
        "hyperparameters",
        "success",
        "median passes to solve",
        "median steps",
    ]);
    for x in rows {
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
    md
}

/// Seed 0's training curve of every optimizer and size, under `curves/`.
pub fn write_curves(out: &Path, results: &[XorResult]) -> Result<(), BenchError> {
    for r in results {
        let path = out.join(format!(
            "curves/xor_h{}_{}_seed0.csv",
            r.hidden,
            slug(r.optimizer)
        ));
        write_curve(&path, &r.curve_seed0)?;
    }
    Ok(())
}

/// The success rates as a bar chart (`figures/xor_success`).
pub fn write_figures(out: &Path, results: &[XorResult]) -> Result<Vec<String>, BenchError> {
    let mut hidden: Vec<usize> = results.iter().map(|r| r.hidden).collect();
    hidden.dedup();
    let groups = hidden
        .iter()
        .map(|&h| BarGroup {
            label: format!("XOR 2-{h}-1"),
            values: results
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
        &out.join("figures").join("xor_success"),
    )?;
    Ok(vec!["figures/xor_success.png".into()])
}
