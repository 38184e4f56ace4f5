//! Small statistics for reports: mean, standard deviation, quantiles, Wilson intervals and seed bands.
//!
//! # NaN
//! Every function here ignores NaN entries (a diverged seed should be counted
//! and reported separately) and returns NaN when nothing is left. Infinities
//! are kept and take part like any other value.

use dopamine_plot::{Band, Curve};

/// The two-sided 95% normal quantile, for [`wilson_interval`].
pub const Z_95: f64 = 1.959_963_984_540_054;

/// The non-NaN values of `values`, sorted ascending.
fn sorted_finite_or_inf(values: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    sorted
}

/// Quantile of already sorted, NaN-free data; see [`quantile`].
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    let q = q.clamp(0.0, 1.0);
    let h = (sorted.len() - 1) as f64 * q;
    let below = h.floor() as usize;
    let above = h.ceil() as usize;
    let (a, b) = (sorted[below], sorted[above]);
    if below == above || a == b {
        a
    } else {
        a + (h - below as f64) * (b - a)
    }
}

/// The `q`-quantile of `values` by linear interpolation between order statistics.
///
/// With the `n` non-NaN values sorted as `x[0] <= ... <= x[n-1]`, let
/// `h = (n - 1) * q`; the result is `x[floor h] + (h - floor h) * (x[ceil h] - x[floor h])`.
/// This is type 7 of Hyndman and Fan, the default of NumPy and R: `q = 0` is
/// the minimum, `q = 1` the maximum, `q = 0.5` the median. `q` is clamped to
/// `[0, 1]`; a NaN `q` or no non-NaN value gives NaN.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    quantile_sorted(&sorted_finite_or_inf(values), q)
}

/// The median (the 0.5 [`quantile`]): the middle value, or the mean of the two middle values.
pub fn median(values: &[f64]) -> f64 {
    quantile(values, 0.5)
}

/// The arithmetic mean of the non-NaN values.
pub fn mean(values: &[f64]) -> f64 {
    let (sum, count) = values
        .iter()
        .filter(|v| !v.is_nan())
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if count == 0 {
        f64::NAN
    } else {
        sum / count as f64
    }
}

/// The sample standard deviation (denominator `n - 1`) of the non-NaN values;
/// NaN when fewer than two are left.
pub fn std_dev(values: &[f64]) -> f64 {
    let kept: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if kept.len() < 2 {
        return f64::NAN;
    }
    let m = mean(&kept);
    let squares: f64 = kept.iter().map(|v| (v - m) * (v - m)).sum();
    (squares / (kept.len() - 1) as f64).sqrt()
}

/// The Wilson score interval `(low, high)` for a success proportion, e.g. the
/// share of seeds that solve XOR; `z` is the normal quantile ([`Z_95`] for 95%).
///
/// Unlike the normal approximation it stays inside `[0, 1]` and is sensible
/// for 0 or all successes. With no trials it is `(0, 1)`.
///
/// # Panics
/// If `successes > trials`.
pub fn wilson_interval(successes: u64, trials: u64, z: f64) -> (f64, f64) {
    assert!(
        successes <= trials,
        "{successes} successes in {trials} trials"
    );
    if trials == 0 {
        return (0.0, 1.0);
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Per-step median and band of several seeds' curves; see [`band`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeedBand {
    /// Median over seeds at each index.
    pub median: Vec<f64>,
    /// Lower quantile over seeds at each index.
    pub lo: Vec<f64>,
    /// Upper quantile over seeds at each index.
    pub hi: Vec<f64>,
}

impl SeedBand {
    /// A plot curve of the median with this band shaded around it; `x` is
    /// truncated to the band's length (the band must not be longer than `x`).
    pub fn into_curve(self, label: impl Into<String>, x: &[f64]) -> Curve {
        let n = self.median.len().min(x.len());
        let mut median = self.median;
        let (mut lo, mut hi) = (self.lo, self.hi);
        median.truncate(n);
        lo.truncate(n);
        hi.truncate(n);
        Curve {
            label: label.into(),
            x: x[..n].to_vec(),
            y: median,
            band: Some(Band { lo, hi }),
        }
    }
}

/// How [`band_with`] treats curves of different lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RaggedEnds {
    /// Use only the indices that every curve has (the result is as long as the
    /// shortest curve), so every point summarises the same seeds.
    #[default]
    TruncateToShortest,
    /// Go on to the longest curve, summarising at each index only the curves
    /// that reach it (later points may rest on fewer seeds).
    IgnoreMissing,
}

/// The per-index median and `lo_q` / `hi_q` [`quantile`]s across `curves`
/// (one curve per seed), e.g. `band(&losses, 0.25, 0.75)` for the interquartile band.
///
/// Curves of different lengths are truncated to the shortest
/// ([`RaggedEnds::TruncateToShortest`]); use [`band_with`] to choose. No curves
/// give an empty band. NaN entries are ignored per index, as everywhere here.
pub fn band(curves: &[Vec<f64>], lo_q: f64, hi_q: f64) -> SeedBand {
    band_with(curves, lo_q, hi_q, RaggedEnds::TruncateToShortest)
}

/// [`band`] with an explicit rule for curves of different lengths.
pub fn band_with(curves: &[Vec<f64>], lo_q: f64, hi_q: f64, ragged: RaggedEnds) -> SeedBand {
    let lengths = curves.iter().map(Vec::len);
    let len = match ragged {
        RaggedEnds::TruncateToShortest => lengths.min(),
        RaggedEnds::IgnoreMissing => lengths.max(),
    }
    .unwrap_or(0);
    let mut out = SeedBand {
        median: Vec::with_capacity(len),
        lo: Vec::with_capacity(len),
        hi: Vec::with_capacity(len),
    };
    let mut column = Vec::with_capacity(curves.len());
    for i in 0..len {
        column.clear();
        column.extend(
            curves
                .iter()
                .filter_map(|c| c.get(i))
                .filter(|v| !v.is_nan()),
        );
        column.sort_by(f64::total_cmp);
        out.median.push(quantile_sorted(&column, 0.5));
        out.lo.push(quantile_sorted(&column, lo_q));
        out.hi.push(quantile_sorted(&column, hi_q));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn hand_computed_values() {
        let xs = [3.0, 1.0, 4.0, 1.0, 5.0];
        assert_eq!(median(&xs), 3.0);
        assert_eq!(median(&[1.0, 2.0, 3.0, 4.0]), 2.5);
        // sorted 1 1 3 4 5; h = 4 * 0.25 = 1 -> 1; h = 4 * 0.9 = 3.6 -> 4 + 0.6 * 1.
        assert_eq!(quantile(&xs, 0.25), 1.0);
        assert!(close(quantile(&xs, 0.9), 4.6));
        assert_eq!(quantile(&xs, 0.0), 1.0);
        assert_eq!(quantile(&xs, 1.0), 5.0);
        assert_eq!(quantile(&xs, 7.0), 5.0);
        assert!(close(mean(&xs), 2.8));
        // deviations 0.2 -1.8 1.2 -1.8 2.2; squares sum 0.04+3.24+1.44+3.24+4.84 = 12.8; /4 = 3.2.
        assert!(close(std_dev(&xs), 3.2f64.sqrt()));
        assert!(std_dev(&[1.0]).is_nan());
    }

    #[test]
    fn nan_is_ignored_and_empty_is_nan() {
        assert_eq!(median(&[f64::NAN, 2.0, 4.0]), 3.0);
        assert_eq!(mean(&[f64::NAN, 2.0, 4.0]), 3.0);
        assert!(median(&[]).is_nan());
        assert!(mean(&[f64::NAN]).is_nan());
        assert!(quantile(&[1.0], f64::NAN).is_nan());
    }

    #[test]
    fn wilson_known_values() {
        // 8 of 10, z = 1.96: the textbook interval is about (0.4902, 0.9433).
        let (lo, hi) = wilson_interval(8, 10, 1.96);
        assert!((lo - 0.4902).abs() < 1e-4, "{lo}");
        assert!((hi - 0.9433).abs() < 1e-4, "{hi}");
        let (lo, hi) = wilson_interval(0, 20, Z_95);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.1 && hi < 0.2, "{hi}");
        let (lo, hi) = wilson_interval(20, 20, Z_95);
        assert!(lo > 0.8 && hi == 1.0);
        assert_eq!(wilson_interval(0, 0, Z_95), (0.0, 1.0));
    }

    #[test]
    fn band_truncates_or_ignores_missing() {
        let curves = vec![
            vec![1.0, 10.0, 100.0],
            vec![3.0, 30.0],
            vec![2.0, 20.0, 200.0],
        ];
        let b = band(&curves, 0.0, 1.0);
        assert_eq!(b.median, vec![2.0, 20.0]);
        assert_eq!(b.lo, vec![1.0, 10.0]);
        assert_eq!(b.hi, vec![3.0, 30.0]);
        let b = band_with(&curves, 0.25, 0.75, RaggedEnds::IgnoreMissing);
        assert_eq!(b.median, vec![2.0, 20.0, 150.0]);
        assert_eq!(b.lo, vec![1.5, 15.0, 125.0]);
        assert_eq!(b.hi, vec![2.5, 25.0, 175.0]);
        assert_eq!(band(&[], 0.25, 0.75), SeedBand::default());
        let curve = b.into_curve("x", &[0.0, 1.0, 2.0, 3.0]);
        assert_eq!(curve.x, vec![0.0, 1.0, 2.0]);
    }

    proptest! {
        #[test]
        fn quantile_is_monotonic_in_q(
            xs in prop::collection::vec(-1e6f64..1e6, 1..40),
            q1 in 0.0f64..=1.0,
            q2 in 0.0f64..=1.0,
        ) {
            let (a, b) = if q1 <= q2 { (q1, q2) } else { (q2, q1) };
            prop_assert!(quantile(&xs, a) <= quantile(&xs, b));
        }

        #[test]
        fn median_and_mean_lie_within_min_and_max(xs in prop::collection::vec(-1e6f64..1e6, 1..40)) {
            let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
            let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let m = median(&xs);
            prop_assert!(min <= m && m <= max);
            let avg = mean(&xs);
            prop_assert!(min - 1e-6 <= avg && avg <= max + 1e-6);
        }

        #[test]
        fn wilson_interval_contains_the_proportion(trials in 1u64..500, share in 0.0f64..=1.0) {
            let successes = ((trials as f64) * share).floor() as u64;
            let (lo, hi) = wilson_interval(successes, trials, Z_95);
            let p = successes as f64 / trials as f64;
            prop_assert!(0.0 <= lo && lo <= p + 1e-12 && p <= hi + 1e-12 && hi <= 1.0);
        }

        #[test]
        fn band_is_ordered(curves in prop::collection::vec(prop::collection::vec(-1e3f64..1e3, 1..20), 1..8)) {
            let b = band(&curves, 0.25, 0.75);
            let shortest = curves.iter().map(Vec::len).min().unwrap();
            prop_assert_eq!(b.median.len(), shortest);
            for i in 0..shortest {
                prop_assert!(b.lo[i] <= b.median[i] && b.median[i] <= b.hi[i]);
            }
        }
    }
}
