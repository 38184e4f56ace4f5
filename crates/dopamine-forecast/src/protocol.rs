//! The protocol's tuning step — every grid cell scored by the median validation error over the tuning seeds — and the median it uses, in which a diverged run counts as the worst.

use dopamine_train::tuning::{Candidate, Tuned, VariantError, over_tuning_seeds, try_tune};
use dopamine_train::{OptimizerSpec, SpecOptions};

/// The median of `values` in which a NaN (a diverged run) counts as the
/// worst value (`+inf`): the middle value, or the two middle values
/// interpolated (`a + (b - a) / 2`, and `a` itself when they are equal, so
/// two infinities give infinity). NaN for no value.
pub fn median_nan_worst(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values
        .iter()
        .map(|&x| if x.is_nan() { f64::INFINITY } else { x })
        .collect();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * 0.5;
    let below = h.floor() as usize;
    let above = h.ceil() as usize;
    let (a, b) = (sorted[below], sorted[above]);
    if below == above || a == b {
        a
    } else {
        a + (h - below as f64) * (b - a)
    }
}

/// Tunes `candidate` the protocol's way: every cell of its grid (in
/// parallel) trained on each of `tuning_seeds` seeds (`TUNING_SEED_BASE..`,
/// in parallel) by `validation_error(spec, options, seed)`, scored by the
/// median over the seeds ([`median_nan_worst`]), the lowest score picked.
/// The error of the first failing run in grid and seed order, if any.
pub fn tune_on_validation<E: From<VariantError> + Send>(
    candidate: &Candidate,
    tuning_seeds: u64,
    validation_error: impl Fn(&OptimizerSpec, &SpecOptions, u64) -> Result<f64, E> + Sync,
) -> Result<Tuned, E> {
    try_tune(candidate, |spec, options| {
        let scores = over_tuning_seeds(tuning_seeds, |seed| validation_error(spec, options, seed))?;
        Ok(median_nan_worst(&scores))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dopamine_train::tuning::TUNING_SEED_BASE;

    #[test]
    fn the_median_counts_nan_as_worst() {
        assert_eq!(median_nan_worst(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median_nan_worst(&[1.0, 2.0]), 1.5);
        assert_eq!(median_nan_worst(&[1.0, f64::NAN]), f64::INFINITY);
        assert_eq!(median_nan_worst(&[f64::NAN, f64::NAN]), f64::INFINITY);
        assert_eq!(median_nan_worst(&[f64::NAN, 1.0, 2.0]), 2.0);
        assert!(median_nan_worst(&[]).is_nan());
        // The interpolation the lab's statistics use: a + (b - a) / 2.
        let (a, b) = (0.1, 0.7);
        assert_eq!(median_nan_worst(&[b, a]), a + 0.5 * (b - a));
    }

    #[test]
    fn each_cell_is_the_median_over_the_tuning_seeds() {
        let c: Candidate = serde_json::from_str(
            r#"{"base": {"kind": "adam", "lr": 0.003}, "rates": [0.001, 0.01], "momenta": [0.9]}"#,
        )
        .expect("parses");
        let tuned = tune_on_validation::<VariantError>(&c, 3, |spec, _, seed| {
            assert!((TUNING_SEED_BASE..TUNING_SEED_BASE + 3).contains(&seed));
            // lr 0.01 diverges on one seed of three: its median is finite.
            let s = (seed - TUNING_SEED_BASE) as f64;
            Ok(if spec.rate() == 0.01 && s == 0.0 {
                f64::NAN
            } else {
                spec.rate() * 100.0 + s
            })
        })
        .expect("tunes");
        assert_eq!(tuned.scores[0].score, 0.1 + 1.0);
        assert_eq!(tuned.scores[1].score, 1.0 + 2.0);
        assert_eq!(tuned.chosen.rate(), 0.001);
    }
}
