//! The measures the claims compare: per method on a forecasting task (test NRMSE at equal passes and at equal wall time, passes to a training loss, compute to an accuracy), the best of a group of methods, and the groups themselves.

use dopamine_train::OptimizerKind;

use crate::experiments::forecast::ForecastReport;
use crate::experiments::xor::XorResult;
use crate::markdown::fmt_sig;
use crate::stats::median;

/// `kind`'s E1 result on the network with `hidden` units.
pub(super) fn opt(xs: &[XorResult], hidden: usize, kind: OptimizerKind) -> Option<&XorResult> {
    xs.iter()
        .find(|r| r.hidden == hidden && r.optimizer == kind)
}

/// Median over seeds of the forward-pass equivalents at which the training
/// loss first reached `threshold` (infinite when a seed never did).
pub fn passes_to_threshold(
    report: &ForecastReport,
    optimizer: OptimizerKind,
    threshold: f64,
) -> f64 {
    let Some(r) = report.results.iter().find(|r| r.optimizer == optimizer) else {
        return f64::NAN;
    };
    median(
        &r.runs
            .iter()
            .map(|run| {
                run.curve
                    .iter()
                    .find(|rec| rec.loss <= threshold)
                    .map_or(f64::INFINITY, |rec| {
                        (rec.forward_passes + rec.backward_passes) as f64
                    })
            })
            .collect::<Vec<f64>>(),
    )
}

/// Median final training loss of an optimizer over seeds.
pub fn final_loss(report: &ForecastReport, optimizer: OptimizerKind) -> f64 {
    report
        .results
        .iter()
        .find(|r| r.optimizer == optimizer)
        .map_or(f64::NAN, |r| {
            median(
                &r.runs
                    .iter()
                    .filter_map(|run| run.curve.last().map(|c| c.loss))
                    .collect::<Vec<f64>>(),
            )
        })
}

/// A fraction as a percentage with one decimal.
pub(super) fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// A median pass count, or `n/a`.
pub(super) fn passes(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |v| fmt_sig(v, 3))
}

/// The perturbation peers C1 is judged against.
pub const PEERS: [OptimizerKind; 3] = [
    OptimizerKind::Wp,
    OptimizerKind::OpenEs,
    OptimizerKind::Snes,
];
/// Dopamine's variants; a claim takes the best of them.
pub const DOPAMINE: [OptimizerKind; 3] = [
    OptimizerKind::Dopamine1,
    OptimizerKind::Dopamine2,
    OptimizerKind::Dopamine3,
];
/// The gradient methods.
pub const GRADIENT: [OptimizerKind; 2] = [OptimizerKind::Sgd, OptimizerKind::Adam];

/// The best of `kinds` on XOR with `hidden` units: the highest success
/// rate, then the fewest median passes to solve.
pub(super) fn best_xor<'a>(
    xs: &'a [XorResult],
    hidden: usize,
    kinds: &[OptimizerKind],
) -> Option<&'a XorResult> {
    kinds
        .iter()
        .filter_map(|&k| opt(xs, hidden, k))
        .min_by(|a, b| {
            b.success_rate.total_cmp(&a.success_rate).then(
                a.median_passes
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&b.median_passes.unwrap_or(f64::INFINITY)),
            )
        })
}

/// Median test NRMSE (one step, teacher-forced) of `kind` at equal passes
/// (NaN when it did not run).
pub fn test_nrmse(report: &ForecastReport, kind: OptimizerKind) -> f64 {
    report
        .results
        .iter()
        .find(|r| r.optimizer == kind)
        .map_or(f64::NAN, |r| r.median_teacher_forced)
}

/// Median test NRMSE of `kind` at equal wall time (NaN when not run).
pub fn wall_nrmse(report: &ForecastReport, kind: OptimizerKind) -> f64 {
    report
        .results
        .iter()
        .find(|r| r.optimizer == kind)
        .and_then(|r| r.wall.as_ref())
        .map_or(f64::NAN, |w| w.median_teacher_forced)
}

/// The one of `kinds` with the lowest finite `score`, with that score.
pub(super) fn best_by(
    report: &ForecastReport,
    kinds: &[OptimizerKind],
    score: impl Fn(&ForecastReport, OptimizerKind) -> f64,
) -> Option<(OptimizerKind, f64)> {
    kinds
        .iter()
        .map(|&k| (k, score(report, k)))
        .filter(|(_, v)| !v.is_nan())
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// The methods' names, comma-separated.
pub(super) fn names(kinds: &[OptimizerKind]) -> String {
    kinds
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Compute to accuracy: the median over seeds of the (seconds, FLOPs) at
/// which the test NRMSE of `kind`'s equal-pass runs first reached `target`
/// (infinite when a seed never did).
pub fn compute_to_accuracy(
    report: &ForecastReport,
    kind: OptimizerKind,
    target: f64,
) -> (f64, f64) {
    let Some(r) = report.results.iter().find(|r| r.optimizer == kind) else {
        return (f64::NAN, f64::NAN);
    };
    let hit: Vec<Option<(f64, f64)>> = r
        .runs
        .iter()
        .map(|run| {
            run.test_curve
                .iter()
                .find(|p| p.nrmse <= target)
                .map(|p| (p.seconds, p.flops as f64))
        })
        .collect();
    let secs: Vec<f64> = hit
        .iter()
        .map(|h| h.map_or(f64::INFINITY, |h| h.0))
        .collect();
    let flops: Vec<f64> = hit
        .iter()
        .map(|h| h.map_or(f64::INFINITY, |h| h.1))
        .collect();
    (median(&secs), median(&flops))
}
