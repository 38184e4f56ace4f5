//! Fair tuning: every optimizer gets the same grid of learning-rate multipliers on held-out seeds or data.

use dopamine_train::OptimizerSpec;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::BenchError;

/// Tuning seeds are `TUNING_SEED_BASE..`, disjoint from the evaluation seeds `0..n`.
pub const TUNING_SEED_BASE: u64 = 10_000;

/// An optimizer to tune: a base spec and the learning rates to try.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    let first = candidate
        .rates
        .first()
        .map_or(candidate.base, |r| candidate.base.with_rate(*r));
    let mut best = (f64::INFINITY, first);
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

/// [`tune`] with a score that can fail: the first error is returned after
/// the grid has been tried, otherwise the tuning outcome.
pub fn try_tune(
    candidate: &Candidate,
    mut score: impl FnMut(&OptimizerSpec) -> Result<f64, BenchError>,
) -> Result<Tuned, BenchError> {
    let mut first_error = None;
    let tuned = tune(candidate, |spec| match score(spec) {
        Ok(s) => s,
        Err(e) => {
            first_error.get_or_insert(e);
            f64::NAN
        }
    });
    match first_error {
        Some(e) => Err(e),
        None => Ok(tuned),
    }
}

/// Runs `run` on each of `count` tuning seeds in parallel; results in seed order.
pub fn over_tuning_seeds<T: Send>(
    count: u64,
    run: impl Fn(u64) -> Result<T, BenchError> + Sync,
) -> Result<Vec<T>, BenchError> {
    (0..count)
        .into_par_iter()
        .map(|s| run(TUNING_SEED_BASE + s))
        .collect()
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
