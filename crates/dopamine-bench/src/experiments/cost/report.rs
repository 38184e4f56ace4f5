//! E4's report: its CSV table, its section of `report.md` and its figures (time and memory per step against H and T).

use std::fmt::Write as _;
use std::path::Path;

use dopamine_plot::{Curve, LinePlot, Scale, write_line_plot};
use dopamine_train::OptimizerKind;

use super::run::{BATCHED, CostPoint, CostSweeps, StepShape};
use crate::error::BenchError;
use crate::markdown::{Table, fmt_sig};
use crate::output::write_csv;

/// Every point of both sweeps as `curves/cost.csv`.
pub fn write_csv_table(out: &Path, sweeps: &CostSweeps) -> Result<(), BenchError> {
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
    let rows = sweeps.by_hidden.iter().chain(&sweeps.by_seq_len).map(|p| {
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

/// E4's section of `report.md`: one row per step, H and T.
pub fn section(sweeps: &CostSweeps) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## E4 cost per training step\n\nElman RNN with 1-D input and output, in {precision}; Dopamine-1 with one probe (two forward passes per step, one after the other) against Adam with full BPTT (one forward and one backward pass), and a batched Dopamine-1 step ({batched}: 16 antithetic rank-1 probes, the safety net from the probes, 32 points evaluated in one population sweep of the model), and one Dopamine-3 sweep (two copies of the network in lockstep with neuron noise, the eligibility traces and one update at the end of the sequence: two forward passes per step; its FLOPs add the eligibility arithmetic the rule counts). The four steps of each row group are timed interleaved, in turn, and each time is the median of its samples; `vs Adam` is the step's time over Adam-BPTT's in the same group, and `per pass` the time per forward pass over Adam's time per step. FLOPs come from the models' own accounting; memory is the peak heap of the training loop (building the objective and the optimizer, then two steps) above the heap in use once the model and the data are built, measured by a counting allocator for every H and T (or, without one, the accounted bytes).\n",
        precision = sweeps
            .by_hidden
            .first()
            .map_or("f32", |p| p.precision.name()),
        batched = BATCHED.label(),
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
    for sweep in [&sweeps.by_hidden, &sweeps.by_seq_len] {
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
                } else if p.optimizer == OptimizerKind::Dopamine3 {
                    "one sweep, two copies".into()
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
    md
}

/// Time and memory per step of Dopamine-1, Dopamine-3 and Adam-BPTT against H and
/// against T (`cost_vs_hidden_*`, `cost_vs_seq_len_*`).
pub fn write_figures(out: &Path, sweeps: &CostSweeps) -> Result<Vec<String>, BenchError> {
    let fig = |name: &str| out.join("figures").join(name);
    let mut names = Vec::new();
    for (points, axis, stem) in [
        (&sweeps.by_hidden, "hidden size H", "cost_vs_hidden"),
        (&sweeps.by_seq_len, "sequence length T", "cost_vs_seq_len"),
    ] {
        for (what, y_label, suffix) in [
            ("time", "seconds per step", "time"),
            ("memory", "bytes", "memory"),
        ] {
            let curves = [
                OptimizerKind::Dopamine1,
                OptimizerKind::Dopamine3,
                OptimizerKind::Adam,
            ]
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
