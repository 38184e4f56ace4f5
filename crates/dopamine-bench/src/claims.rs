//! The paper's claims C1-C3 and the code that turns measurements into verdicts.

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

/// C1: Dopamine converges faster than standard WP.
pub fn c1(xor: &[XorResult], forecasts: &[ForecastReport]) -> Claim {
    let mut checks = Vec::new();
    let hidden: Vec<usize> = {
        let mut h: Vec<usize> = xor.iter().map(|r| r.hidden).collect();
        h.dedup();
        h
    };
    for h in hidden {
        if let (Some(wp), Some(d1)) = (
            opt(xor, h, OptimizerKind::Wp),
            opt(xor, h, OptimizerKind::Dopamine1),
        ) {
            let faster = d1.median_passes.unwrap_or(f64::INFINITY)
                < wp.median_passes.unwrap_or(f64::INFINITY);
            checks.push(Check {
                what: format!("XOR 2-{h}-1: Dopamine-1 solves at least as often as WP, in fewer forward passes"),
                numbers: format!(
                    "success {} vs {}; median passes to solve {} vs {}",
                    pct(d1.success_rate),
                    pct(wp.success_rate),
                    passes(d1.median_passes),
                    passes(wp.median_passes)
                ),
                passed: d1.success_rate >= wp.success_rate && faster,
            });
        }
    }
    for f in forecasts {
        // A loss both rules reach on most seeds: twice the larger of their
        // median final training losses. (WP's own median final loss would be
        // reached by only half of WP's seeds, so its median passes would be
        // infinite by construction.)
        let threshold =
            2.0 * final_loss(f, OptimizerKind::Wp).max(final_loss(f, OptimizerKind::Dopamine1));
        let wp = passes_to_threshold(f, OptimizerKind::Wp, threshold);
        let d1 = passes_to_threshold(f, OptimizerKind::Dopamine1, threshold);
        checks.push(Check {
            what: format!(
                "{}: median forward passes to reach training loss {} (twice the larger median final loss of the two)",
                f.name,
                fmt_sig(threshold, 3)
            ),
            numbers: format!("Dopamine-1 {} vs WP {}", fmt_sig(d1, 3), fmt_sig(wp, 3)),
            passed: d1 < wp,
        });
    }
    claim(
        "C1",
        "Dopamine converges faster than standard weight perturbation",
        checks,
    )
}

/// C2: performance comparable to gradient-based optimizers.
pub fn c2(xor: &[XorResult], forecasts: &[ForecastReport]) -> Claim {
    const COMPARABLE: f64 = 1.5;
    let mut checks = Vec::new();
    let mut hidden: Vec<usize> = xor.iter().map(|r| r.hidden).collect();
    hidden.dedup();
    for h in hidden {
        let best_grad = [OptimizerKind::Sgd, OptimizerKind::Adam]
            .into_iter()
            .filter_map(|k| opt(xor, h, k))
            .map(|r| r.success_rate)
            .fold(f64::NAN, f64::max);
        if let Some(d1) = opt(xor, h, OptimizerKind::Dopamine1) {
            checks.push(Check {
                what: format!("XOR 2-{h}-1: Dopamine-1 success rate within 5 points of the best gradient method"),
                numbers: format!("{} vs {}", pct(d1.success_rate), pct(best_grad)),
                passed: d1.success_rate + 0.05 >= best_grad,
            });
        }
    }
    for f in forecasts {
        let get = |k: OptimizerKind| {
            f.results
                .iter()
                .find(|r| r.optimizer == k)
                .map_or(f64::NAN, |r| r.median_teacher_forced)
        };
        let best_grad = get(OptimizerKind::Sgd).min(get(OptimizerKind::Adam));
        let d1 = get(OptimizerKind::Dopamine1);
        let ratio = d1 / best_grad;
        checks.push(Check {
            what: format!(
                "{}: Dopamine-1's test NRMSE (one step, teacher-forced) within {COMPARABLE}x of the best gradient method at an equal budget",
                f.name
            ),
            numbers: format!(
                "{} vs {} (ratio {}); persistence {}",
                fmt_sig(d1, 3),
                fmt_sig(best_grad, 3),
                fmt_sig(ratio, 3),
                fmt_sig(f.persistence.teacher_forced, 3)
            ),
            passed: ratio <= COMPARABLE,
        });
    }
    claim(
        "C2",
        "Dopamine performs comparably to gradient-based optimizers",
        checks,
    )
}

/// C3: significantly less computation and memory (per training step, at the
/// longest sequence measured).
pub fn c3(by_t: &[CostPoint]) -> Claim {
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
    claim(
        "C3",
        "Dopamine needs significantly less computation and memory (per training step)",
        checks,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
        use crate::experiments::tuning::Tuned;
        use dopamine_train::{OptimizerSpec, Record};
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
        };
        let report = ForecastReport {
            name: "t".into(),
            persistence: scores.clone(),
            results: vec![ForecastResult {
                optimizer: OptimizerKind::Wp,
                tuned: Tuned {
                    chosen: OptimizerSpec::Adam { lr: 1.0 },
                    scores: vec![],
                },
                runs: vec![run(0, 0.1), run(1, 0.2), run(2, 0.3), run(3, 0.4)],
                median_teacher_forced: 0.0,
                median_free_running: vec![],
                example_teacher_forced: vec![],
                example_free_running: vec![],
            }],
            example_truth: vec![],
            example_truth_free: vec![],
            params: 0,
        };
        assert_eq!(final_loss(&report, OptimizerKind::Wp), 0.25);
        assert_eq!(
            passes_to_threshold(&report, OptimizerKind::Wp, 0.25),
            f64::INFINITY
        );
        assert_eq!(passes_to_threshold(&report, OptimizerKind::Wp, 0.5), 20.0);
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
