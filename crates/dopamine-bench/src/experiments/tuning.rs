//! Fair tuning: every optimizer gets the same grid of learning-rate multipliers on held-out seeds or data.

use serde::{Deserialize, Serialize};

use crate::optimizer::OptimizerSpec;

/// An optimizer to tune: a base spec and the learning rates to try.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The spec; its learning rate is replaced by each of `rates`.
    pub base: OptimizerSpec,
    /// Learning rates to try (every optimizer gets the same number).
    pub rates: Vec<f64>,
}

/// The outcome of tuning one optimizer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tuned {
    /// The chosen spec.
    pub chosen: OptimizerSpec,
    /// Every rate tried with its validation score (lower is better).
    pub scores: Vec<(f64, f64)>,
}

/// Picks the rate with the lowest score (NaN counts as worst; ties go to the
/// first rate). `score` evaluates one spec on validation data.
pub fn tune(candidate: &Candidate, mut score: impl FnMut(&OptimizerSpec) -> f64) -> Tuned {
    let mut scores = Vec::with_capacity(candidate.rates.len());
    let mut best = (f64::INFINITY, candidate.base.with_rate(candidate.rates[0]));
    for &rate in &candidate.rates {
        let spec = candidate.base.with_rate(rate);
        let s = score(&spec);
        let s = if s.is_nan() { f64::INFINITY } else { s };
        scores.push((rate, s));
        if s < best.0 {
            best = (s, spec);
        }
    }
    Tuned {
        chosen: best.1,
        scores,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_lowest_score_and_treats_nan_as_worst() {
        let c = Candidate {
            base: OptimizerSpec::Adam { lr: 1.0 },
            rates: vec![0.1, 0.01, 0.001],
        };
        let t = tune(&c, |s| {
            if s.rate() == 0.1 {
                f64::NAN
            } else if s.rate() == 0.01 {
                2.0
            } else {
                1.0
            }
        });
        assert_eq!(t.chosen.rate(), 0.001);
        assert_eq!(t.scores[0].1, f64::INFINITY);
    }
}
