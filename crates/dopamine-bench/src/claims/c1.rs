//! C1: Dopamine converges faster than the standard perturbation methods (its best variant against the best of WP, OpenES and SNES).

use super::evidence::Evidence;
use super::measures::{
    DOPAMINE, PEERS, best_by, best_xor, final_loss, names, opt, passes, passes_to_threshold, pct,
    test_nrmse,
};
use super::verdict::{Check, Claim, claim};
use crate::experiments::xor::XorResult;
use crate::markdown::fmt_sig;

/// C1: Dopamine converges faster than standard perturbation methods: its
/// best variant against the best of WP, OpenES and SNES.
pub fn c1(evidence: &Evidence<'_>) -> Claim {
    let (xor, forecasts) = (evidence.xor, &evidence.forecasts);
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
