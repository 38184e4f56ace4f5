//! C2: Dopamine performs comparably to the gradient methods (SGD, Adam) on XOR and, at equal forward passes and at equal wall time, on the forecasting tasks.

use dopamine_train::OptimizerKind;

use super::evidence::Evidence;
use super::measures::{DOPAMINE, GRADIENT, best_by, best_xor, opt, pct, test_nrmse, wall_nrmse};
use super::verdict::{Check, Claim, claim};
use crate::experiments::forecast::ForecastReport;
use crate::markdown::fmt_sig;

/// C2: performance comparable to gradient-based optimizers, at equal
/// forward passes and at equal wall time.
pub fn c2(evidence: &Evidence<'_>) -> Claim {
    const COMPARABLE: f64 = 1.5;
    let (xor, forecasts) = (evidence.xor, &evidence.forecasts);
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
