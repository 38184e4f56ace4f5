//! C3: Dopamine needs significantly less computation and memory: per training step (peak heap at every H and T, FLOPs at the longest sequence) and to reach a given accuracy.

use dopamine_train::OptimizerKind;

use super::evidence::Evidence;
use super::measures::{DOPAMINE, best_by, compute_to_accuracy, test_nrmse};
use super::verdict::{Check, Claim, claim};
use crate::experiments::cost::{CostPoint, StepShape};
use crate::markdown::fmt_sig;

/// Dopamine-1's and Adam-BPTT's one-step points at the same `(H, T)` in
/// each sweep.
fn memory_pairs(sweeps: [&[CostPoint]; 2]) -> Vec<(&CostPoint, &CostPoint)> {
    let single = |p: &CostPoint, kind| p.optimizer == kind && p.shape == StepShape::Single;
    sweeps
        .into_iter()
        .flat_map(|sweep| {
            sweep
                .iter()
                .filter(move |d| single(d, OptimizerKind::Dopamine1))
                .filter_map(move |d| {
                    let a = sweep.iter().find(|a| {
                        single(a, OptimizerKind::Adam)
                            && a.hidden == d.hidden
                            && a.seq_len == d.seq_len
                    })?;
                    Some((d, a))
                })
        })
        .collect()
}

/// Peak heap of a point (the accounted bytes when no meter measured it).
fn memory(p: &CostPoint) -> f64 {
    p.peak_heap_bytes.unwrap_or(p.accounted_bytes) as f64
}

/// C3: significantly less computation and memory: the peak heap per
/// training step at every H and T measured, the FLOPs per step at the
/// longest sequence, and the compute to reach the worst final test NRMSE
/// of the methods that beat persistence on each forecasting task.
pub fn c3(evidence: &Evidence<'_>) -> Claim {
    let (by_t, forecasts) = (evidence.cost_by_seq_len, &evidence.forecasts);
    let mut checks = Vec::new();
    let pairs = memory_pairs([evidence.cost_by_hidden, by_t]);
    let ratio = |&(d, a): &(&CostPoint, &CostPoint)| memory(d) / memory(a);
    let at_point = |pair: &(&CostPoint, &CostPoint)| {
        let (d, a) = *pair;
        format!(
            "{} at H={}, T={} ({} vs {} bytes)",
            fmt_sig(ratio(pair), 3),
            d.hidden,
            d.seq_len,
            fmt_sig(memory(d), 3),
            fmt_sig(memory(a), 3)
        )
    };
    let lowest = pairs.iter().min_by(|x, y| ratio(x).total_cmp(&ratio(y)));
    let highest = pairs.iter().max_by(|x, y| ratio(x).total_cmp(&ratio(y)));
    if let (Some(lowest), Some(highest)) = (lowest, highest) {
        checks.push(Check {
            what: format!(
                "memory: Dopamine-1's peak heap at most half of Adam-BPTT's at every H and T measured ({} points)",
                pairs.len()
            ),
            numbers: format!("ratio from {} to {}", at_point(lowest), at_point(highest)),
            passed: pairs.iter().all(|p| ratio(p) <= 0.5),
        });
    }
    let longest = by_t.iter().map(|p| p.seq_len).max().unwrap_or(0);
    let at = |kind: OptimizerKind| {
        by_t.iter()
            .find(|p| p.optimizer == kind && p.shape == StepShape::Single && p.seq_len == longest)
    };
    if let (Some(d), Some(a)) = (at(OptimizerKind::Dopamine1), at(OptimizerKind::Adam)) {
        let flop_ratio = d.flops_per_step as f64 / a.flops_per_step as f64;
        checks.push(Check {
            what: format!(
                "computation: Dopamine-1's FLOPs per step below Adam-BPTT's (H={}, T={longest})",
                d.hidden
            ),
            numbers: format!(
                "{} vs {} FLOPs (ratio {}); wall time per step {} s vs {} s",
                fmt_sig(d.flops_per_step as f64, 3),
                fmt_sig(a.flops_per_step as f64, 3),
                fmt_sig(flop_ratio, 3),
                fmt_sig(d.seconds_per_step, 3),
                fmt_sig(a.seconds_per_step, 3)
            ),
            passed: flop_ratio < 1.0,
        });
    }
    for f in forecasts {
        // The worst method's final result among those that beat persistence:
        // a level every such method reached. A method that ends worse than
        // persistence has not learned the task, and its result would be a
        // target any method meets at its first evaluation.
        let persistence = f.persistence.teacher_forced;
        let target = f
            .results
            .iter()
            .map(|r| r.median_teacher_forced)
            .filter(|v| v.is_finite() && *v < persistence)
            .fold(f64::NAN, f64::max);
        if target.is_nan() {
            continue;
        }
        let Some((dk, _)) = best_by(f, &DOPAMINE, test_nrmse) else {
            continue;
        };
        let (ds, df) = compute_to_accuracy(f, dk, target);
        let (as_, af) = compute_to_accuracy(f, OptimizerKind::Adam, target);
        checks.push(Check {
            what: format!(
                "{}: FLOPs and wall time to reach test NRMSE {} (the worst final median of the methods that beat persistence), Dopamine's best below Adam-BPTT's",
                f.name,
                fmt_sig(target, 3)
            ),
            numbers: format!(
                "{dk} {} FLOPs, {} s vs Adam {} FLOPs, {} s (medians over seeds)",
                fmt_sig(df, 3),
                fmt_sig(ds, 3),
                fmt_sig(af, 3),
                fmt_sig(as_, 3)
            ),
            passed: df < af && ds < as_,
        });
    }
    claim(
        "C3",
        "Dopamine needs significantly less computation and memory (per step, and to reach a given accuracy)",
        checks,
    )
}
