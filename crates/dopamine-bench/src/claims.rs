//! The paper's claims C1-C3, robustness to settings, and the code that turns measurements into verdicts.

use dopamine_train::OptimizerKind;
use serde::{Deserialize, Serialize};

use crate::experiments::cost::{CostPoint, StepShape};
use crate::experiments::forecast::ForecastReport;
use crate::experiments::xor::XorResult;
use crate::markdown::fmt_sig;
use crate::stats::median;

/// A claim's verdict, computed from the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Every comparison behind the claim favours it.
    Holds,
    /// Some do, some do not.
    PartlyHolds,
    /// None does.
    DoesNotHold,
}

impl Verdict {
    /// From the outcomes of the claim's comparisons.
    pub fn from_checks(checks: &[Check]) -> Verdict {
        let passed = checks.iter().filter(|c| c.passed).count();
        if checks.is_empty() || passed == 0 {
            Verdict::DoesNotHold
        } else if passed == checks.len() {
            Verdict::Holds
        } else {
            Verdict::PartlyHolds
        }
    }

    /// As written in the report.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::PartlyHolds => "partly holds",
            Verdict::DoesNotHold => "does not hold",
        }
    }
}

/// One comparison behind a claim, with its numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// What was compared.
    pub what: String,
    /// The numbers, in words.
    pub numbers: String,
    /// Whether it favours the claim.
    pub passed: bool,
}

/// A claim with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// `C1`, `C2`, `C3`.
    pub id: String,
    /// The claim in words.
    pub statement: String,
    /// The comparisons.
    pub checks: Vec<Check>,
    /// The verdict.
    pub verdict: Verdict,
}

fn claim(id: &str, statement: &str, checks: Vec<Check>) -> Claim {
    Claim {
        id: id.into(),
        statement: statement.into(),
        verdict: Verdict::from_checks(&checks),
        checks,
    }
}

fn opt(xs: &[XorResult], hidden: usize, kind: OptimizerKind) -> Option<&XorResult> {
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

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn passes(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |v| fmt_sig(v, 3))
}

/// The perturbation peers C1 is judged against.
pub const PEERS: [OptimizerKind; 3] = [
    OptimizerKind::Wp,
    OptimizerKind::OpenEs,
    OptimizerKind::Snes,
];
/// Dopamine's variants; a claim takes the best of them.
pub const DOPAMINE: [OptimizerKind; 2] = [OptimizerKind::Dopamine1, OptimizerKind::Dopamine2];
/// The gradient methods.
pub const GRADIENT: [OptimizerKind; 2] = [OptimizerKind::Sgd, OptimizerKind::Adam];

/// The best of `kinds` on XOR with `hidden` units: the highest success
/// rate, then the fewest median passes to solve.
fn best_xor<'a>(
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
fn best_by(
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

fn names(kinds: &[OptimizerKind]) -> String {
    kinds
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// C1: Dopamine converges faster than standard perturbation methods: its
/// best variant against the best of WP, OpenES and SNES.
pub fn c1(xor: &[XorResult], forecasts: &[ForecastReport]) -> Claim {
    let mut checks = Vec::new();
    let hidden: Vec<usize> = {
        let mut h: Vec<usize> = xor.iter().map(|r| r.hidden).collect();
        h.dedup();
        h
    };
    for h in hidden {
        let Some(d) = best_xor(xor, h, &DOPAMINE) else {
            continue;
        };
        let peers: Vec<&XorResult> = PEERS.iter().filter_map(|&k| opt(xor, h, k)).collect();
        if peers.is_empty() {
            continue;
        }
        let dp = d.median_passes.unwrap_or(f64::INFINITY);
        let passed = peers.iter().all(|p| {
            d.success_rate >= p.success_rate && dp < p.median_passes.unwrap_or(f64::INFINITY)
        });
        let numbers: Vec<String> = peers
            .iter()
            .map(|p| {
                format!(
                    "{} {} in {}",
                    p.optimizer,
                    pct(p.success_rate),
                    passes(p.median_passes)
                )
            })
            .collect();
        checks.push(Check {
            what: format!(
                "XOR 2-{h}-1: Dopamine's best variant solves at least as often as each of {}, in fewer median forward passes",
                names(&PEERS)
            ),
            numbers: format!(
                "{} {} in {} passes; {}",
                d.optimizer,
                pct(d.success_rate),
                passes(d.median_passes),
                numbers.join("; ")
            ),
            passed,
        });
    }
    for f in forecasts {
        let (Some((dk, dv)), Some((pk, pv))) = (
            best_by(f, &DOPAMINE, test_nrmse),
            best_by(f, &PEERS, test_nrmse),
        ) else {
            continue;
        };
        checks.push(Check {
            what: format!(
                "{}: Dopamine's best test NRMSE at most the best of {} at equal forward passes",
                f.name,
                names(&PEERS)
            ),
            numbers: format!(
                "{dk} {} vs {pk} {} (ratio {})",
                fmt_sig(dv, 3),
                fmt_sig(pv, 3),
                fmt_sig(dv / pv, 3)
            ),
            passed: dv <= pv,
        });
        // A loss both reach on most seeds: twice the larger of their median
        // final training losses (a method's own median final loss is reached
        // by only half its seeds, so its median passes would be infinite).
        let threshold = 2.0 * final_loss(f, dk).max(final_loss(f, pk));
        let d = passes_to_threshold(f, dk, threshold);
        let p = passes_to_threshold(f, pk, threshold);
        checks.push(Check {
            what: format!(
                "{}: median forward passes to reach training loss {} (twice the larger median final loss of the two)",
                f.name,
                fmt_sig(threshold, 3)
            ),
            numbers: format!("{dk} {} vs {pk} {}", fmt_sig(d, 3), fmt_sig(p, 3)),
            passed: d < p,
        });
    }
    claim(
        "C1",
        "Dopamine converges faster than standard perturbation methods (WP, OpenES, SNES)",
        checks,
    )
}

/// C2: performance comparable to gradient-based optimizers, at equal
/// forward passes and at equal wall time.
pub fn c2(xor: &[XorResult], forecasts: &[ForecastReport]) -> Claim {
    const COMPARABLE: f64 = 1.5;
    let mut checks = Vec::new();
    let mut hidden: Vec<usize> = xor.iter().map(|r| r.hidden).collect();
    hidden.dedup();
    for h in hidden {
        let best_grad = GRADIENT
            .into_iter()
            .filter_map(|k| opt(xor, h, k))
            .map(|r| r.success_rate)
            .fold(f64::NAN, f64::max);
        if let Some(d) = best_xor(xor, h, &DOPAMINE) {
            checks.push(Check {
                what: format!("XOR 2-{h}-1: Dopamine's best success rate within 5 points of the best gradient method"),
                numbers: format!("{} {} vs {}", d.optimizer, pct(d.success_rate), pct(best_grad)),
                passed: d.success_rate + 0.05 >= best_grad,
            });
        }
    }
    for f in forecasts {
        for (label, score) in [
            (
                "at equal forward passes",
                test_nrmse as fn(&ForecastReport, OptimizerKind) -> f64,
            ),
            ("at equal wall time", wall_nrmse),
        ] {
            let (Some((dk, dv)), Some((gk, gv))) =
                (best_by(f, &DOPAMINE, score), best_by(f, &GRADIENT, score))
            else {
                continue;
            };
            let ratio = dv / gv;
            checks.push(Check {
                what: format!(
                    "{}: Dopamine's best test NRMSE (one step, teacher-forced) within {COMPARABLE}x of the best gradient method {label}",
                    f.name
                ),
                numbers: format!(
                    "{dk} {} vs {gk} {} (ratio {}); persistence {}",
                    fmt_sig(dv, 3),
                    fmt_sig(gv, 3),
                    fmt_sig(ratio, 3),
                    fmt_sig(f.persistence.teacher_forced, 3)
                ),
                passed: ratio <= COMPARABLE,
            });
        }
    }
    claim(
        "C2",
        "Dopamine performs comparably to gradient-based optimizers",
        checks,
    )
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

/// C3: significantly less computation and memory: per training step at the
/// longest sequence measured, and to reach the worst final test NRMSE of the
/// methods that beat persistence on each forecasting task.
pub fn c3(by_t: &[CostPoint], forecasts: &[ForecastReport]) -> Claim {
    let mut checks = Vec::new();
    let longest = by_t.iter().map(|p| p.seq_len).max().unwrap_or(0);
    let at = |kind: OptimizerKind| {
        by_t.iter()
            .find(|p| p.optimizer == kind && p.shape == StepShape::Single && p.seq_len == longest)
    };
    if let (Some(d), Some(a)) = (at(OptimizerKind::Dopamine1), at(OptimizerKind::Adam)) {
        let mem = |p: &CostPoint| p.peak_heap_bytes.unwrap_or(p.accounted_bytes) as f64;
        let mem_ratio = mem(d) / mem(a);
        checks.push(Check {
            what: format!(
                "memory: Dopamine-1's peak heap at most half of Adam-BPTT's (H={}, T={longest})",
                d.hidden
            ),
            numbers: format!(
                "{} vs {} bytes (ratio {})",
                fmt_sig(mem(d), 3),
                fmt_sig(mem(a), 3),
                fmt_sig(mem_ratio, 3)
            ),
            passed: mem_ratio <= 0.5,
        });
        let flop_ratio = d.flops_per_step as f64 / a.flops_per_step as f64;
        checks.push(Check {
            what: "computation: Dopamine-1's FLOPs per step below Adam-BPTT's".into(),
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

/// Robustness to settings of one method on one experiment: how much of its
/// tuning grid is nearly as good as its best, and how much diverged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Robustness {
    /// Experiment.
    pub experiment: String,
    /// Method.
    pub optimizer: OptimizerKind,
    /// Cells in the grid.
    pub grid: usize,
    /// The grid's axes (`4 eta x 3 sigma x 2 variants`).
    #[serde(default)]
    pub shape: String,
    /// Best validation NRMSE of the grid (median over tuning seeds).
    pub best: f64,
    /// Fraction of the grid within 2x of the best.
    pub within_2x: f64,
    /// Cells whose runs diverged (no finite validation NRMSE).
    pub diverged: usize,
}

/// [`Robustness`] of every method of every forecasting experiment, from the
/// tuning grids' validation scores.
pub fn robustness(forecasts: &[ForecastReport]) -> Vec<Robustness> {
    forecasts
        .iter()
        .flat_map(|f| {
            f.results.iter().map(|r| {
                let (within_2x, diverged) = r.tuned.robustness(2.0);
                Robustness {
                    experiment: f.name.clone(),
                    optimizer: r.optimizer,
                    grid: r.tuned.scores.len(),
                    shape: r.tuned.shape(),
                    best: r.tuned.best(),
                    within_2x,
                    diverged,
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tuning outcome that only carries its axis name and scores.
    fn fixture_tuned(
        second_axis: &str,
        scores: Vec<crate::experiments::tuning::GridScore>,
    ) -> crate::experiments::tuning::Tuned {
        crate::experiments::tuning::Tuned {
            chosen_variant: 0,
            chosen: dopamine_train::OptimizerSpec::Adam(dopamine_train::AdamSettings { lr: 1.0 }),
            options: Default::default(),
            second_axis: second_axis.into(),
            scores,
            edge: vec![],
        }
    }

    fn check(passed: bool) -> Check {
        Check {
            what: String::new(),
            numbers: String::new(),
            passed,
        }
    }

    #[test]
    fn a_threshold_half_the_seeds_never_reach_gives_an_infinite_median() {
        use crate::experiments::forecast::{ForecastResult, ForecastRun, ForecastScores};
        use dopamine_train::Record;
        let scores = ForecastScores {
            teacher_forced: 0.0,
            free_running: vec![],
        };
        let run = |seed, final_loss: f64| ForecastRun {
            seed,
            curve: vec![
                Record {
                    loss: 1.0,
                    forward_passes: 10,
                    ..Default::default()
                },
                Record {
                    loss: final_loss,
                    forward_passes: 20,
                    ..Default::default()
                },
            ],
            test: scores.clone(),
            validation: 0.0,
            test_curve: vec![],
        };
        let report = ForecastReport {
            name: "t".into(),
            persistence: scores.clone(),
            results: vec![ForecastResult {
                optimizer: OptimizerKind::Wp,
                tuned: fixture_tuned("beta1", vec![]),
                runs: vec![run(0, 0.1), run(1, 0.2), run(2, 0.3), run(3, 0.4)],
                median_teacher_forced: 0.0,
                median_free_running: vec![],
                example_teacher_forced: vec![],
                example_free_running: vec![],
                wall: None,
            }],
            example_truth: vec![],
            example_truth_free: vec![],
            params: 0,
            ablations: vec![],
        };
        assert_eq!(final_loss(&report, OptimizerKind::Wp), 0.25);
        assert_eq!(
            passes_to_threshold(&report, OptimizerKind::Wp, 0.25),
            f64::INFINITY
        );
        assert_eq!(passes_to_threshold(&report, OptimizerKind::Wp, 0.5), 20.0);
    }

    fn xor_result(optimizer: OptimizerKind, success_rate: f64, passes: f64) -> XorResult {
        XorResult {
            hidden: 2,
            optimizer,
            tuned: fixture_tuned("sigma", vec![]),
            runs: vec![],
            success_rate,
            median_passes: Some(passes),
            median_steps: None,
            curve_seed0: vec![],
        }
    }

    #[test]
    fn c1_on_xor_is_judged_against_every_peer_with_dopamines_best_variant() {
        use OptimizerKind::*;
        // Dopamine-2 is the better variant; it beats WP but not OpenES.
        let xs = vec![
            xor_result(Wp, 0.8, 300.0),
            xor_result(OpenEs, 0.9, 100.0),
            xor_result(Dopamine1, 0.7, 90.0),
            xor_result(Dopamine2, 0.9, 150.0),
        ];
        let c = c1(&xs, &[]);
        assert_eq!(c.checks.len(), 1);
        assert!(!c.checks[0].passed, "{:?}", c.checks[0]);
        assert!(c.checks[0].numbers.starts_with("Dopamine-2 90.0%"));
        // Without OpenES it holds.
        let c = c1(&[xs[0].clone(), xs[2].clone(), xs[3].clone()], &[]);
        assert_eq!(c.verdict, Verdict::Holds);
    }

    #[test]
    fn compute_to_accuracy_takes_the_first_point_at_the_target_per_seed() {
        use crate::experiments::forecast::{
            ForecastResult, ForecastRun, ForecastScores, TestPoint,
        };
        use crate::experiments::tuning::GridScore;
        let scores = ForecastScores {
            teacher_forced: 0.1,
            free_running: vec![],
        };
        let point = |seconds: f64, nrmse: f64| TestPoint {
            seconds,
            passes: 0,
            flops: (seconds * 100.0) as u64,
            nrmse,
        };
        let run = |curve: Vec<TestPoint>| ForecastRun {
            seed: 0,
            curve: vec![],
            test: scores.clone(),
            validation: 0.0,
            test_curve: curve,
        };
        let cell = |score| GridScore {
            variant: 0,
            rate: 1.0,
            second: 1.0,
            score,
        };
        let report = ForecastReport {
            name: "t".into(),
            persistence: scores.clone(),
            results: vec![ForecastResult {
                optimizer: OptimizerKind::Adam,
                tuned: fixture_tuned(
                    "beta1",
                    vec![cell(1.0), cell(1.5), cell(3.0), cell(f64::INFINITY)],
                ),
                runs: vec![
                    run(vec![point(1.0, 0.5), point(2.0, 0.2), point(3.0, 0.1)]),
                    run(vec![point(1.0, 0.3), point(4.0, 0.15)]),
                    run(vec![point(1.0, 0.9)]),
                ],
                median_teacher_forced: 0.1,
                median_free_running: vec![],
                example_teacher_forced: vec![],
                example_free_running: vec![],
                wall: None,
            }],
            example_truth: vec![],
            example_truth_free: vec![],
            params: 0,
            ablations: vec![],
        };
        // Seeds reach 0.2 at 2 s and 4 s; the third never does.
        assert_eq!(
            compute_to_accuracy(&report, OptimizerKind::Adam, 0.2),
            (4.0, 400.0)
        );
        assert!(
            compute_to_accuracy(&report, OptimizerKind::Wp, 0.2)
                .0
                .is_nan()
        );
        let r = robustness(std::slice::from_ref(&report));
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].grid, r[0].within_2x, r[0].diverged), (4, 0.5, 1));
    }

    #[test]
    fn c3_aims_at_the_worst_method_that_beat_persistence() {
        use crate::experiments::forecast::{
            ForecastResult, ForecastRun, ForecastScores, TestPoint,
        };
        let scores = |nrmse| ForecastScores {
            teacher_forced: nrmse,
            free_running: vec![],
        };
        let result = |optimizer, median: f64, curve: Vec<(f64, f64)>| ForecastResult {
            optimizer,
            tuned: fixture_tuned("beta1", vec![]),
            runs: vec![ForecastRun {
                seed: 0,
                curve: vec![],
                test: scores(median),
                validation: 0.0,
                test_curve: curve
                    .into_iter()
                    .map(|(seconds, nrmse)| TestPoint {
                        seconds,
                        passes: 0,
                        flops: (seconds * 100.0) as u64,
                        nrmse,
                    })
                    .collect(),
            }],
            median_teacher_forced: median,
            median_free_running: vec![],
            example_teacher_forced: vec![],
            example_free_running: vec![],
            wall: None,
        };
        // WP ends far worse than persistence (0.15): it has not learned the
        // task, so the target is Dopamine-1's final 0.05, which Adam reaches
        // at 1 s and Dopamine-1 at 3 s.
        let report = ForecastReport {
            name: "t".into(),
            persistence: scores(0.15),
            results: vec![
                result(OptimizerKind::Wp, 22.5, vec![(1.0, 30.0), (2.0, 22.5)]),
                result(
                    OptimizerKind::Dopamine1,
                    0.05,
                    vec![(1.0, 0.2), (3.0, 0.05)],
                ),
                result(OptimizerKind::Adam, 0.01, vec![(1.0, 0.04), (2.0, 0.01)]),
            ],
            example_truth: vec![],
            example_truth_free: vec![],
            params: 0,
            ablations: vec![],
        };
        let c = c3(&[], std::slice::from_ref(&report));
        assert_eq!(c.checks.len(), 1);
        assert!(
            c.checks[0].what.contains("test NRMSE 0.0500"),
            "{:?}",
            c.checks[0]
        );
        assert!(!c.checks[0].passed);
        // No method beat persistence: no target, no check.
        let mut none = report.clone();
        none.persistence = scores(0.001);
        assert!(c3(&[], &[none]).checks.is_empty());
    }

    #[test]
    fn verdicts_follow_the_checks() {
        assert_eq!(
            Verdict::from_checks(&[check(true), check(true)]),
            Verdict::Holds
        );
        assert_eq!(
            Verdict::from_checks(&[check(true), check(false)]),
            Verdict::PartlyHolds
        );
        assert_eq!(Verdict::from_checks(&[check(false)]), Verdict::DoesNotHold);
        assert_eq!(Verdict::from_checks(&[]), Verdict::DoesNotHold);
    }
}
