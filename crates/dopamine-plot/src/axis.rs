//! Axes: scales, padded ranges and tick positions. All drawing happens in "axis space", where a log axis holds log10 of the value; ticks are computed here and labelled with the real value.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// How an axis maps values to positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Evenly spaced values.
    #[default]
    Linear,
    /// Evenly spaced decades; non-positive values cannot be shown and are skipped.
    Log10,
}

/// Maps a data value to axis space, or `None` if it cannot be shown.
pub(crate) fn to_axis(value: f64, scale: Scale) -> Option<f64> {
    if !value.is_finite() {
        return None;
    }
    match scale {
        Scale::Linear => Some(value),
        Scale::Log10 if value > 0.0 => Some(value.log10()),
        Scale::Log10 => None,
    }
}

/// Min and max of an iterator of values, or `None` if it is empty.
pub(crate) fn extent(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// A padded axis range (axis space) from the observed min and max.
pub(crate) fn padded_range(min: f64, max: f64, scale: Scale) -> (f64, f64) {
    let (min, max) = if max - min <= f64::EPSILON * max.abs().max(1.0) {
        let half = match scale {
            Scale::Linear => (min.abs() * 0.1).max(1.0),
            Scale::Log10 => 0.5,
        };
        (min - half, max + half)
    } else {
        (min, max)
    };
    let pad = (max - min) * 0.04;
    (min - pad, max + pad)
}

/// A "nice" step (1, 2 or 5 times a power of ten) giving about `target` ticks.
fn nice_step(span: f64, target: f64) -> f64 {
    let raw = span / target;
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction < 1.5 {
        1.0
    } else if fraction < 3.5 {
        2.0
    } else if fraction < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// Tick positions (axis space) inside `[lo, hi]`.
pub(crate) fn ticks(lo: f64, hi: f64, scale: Scale) -> Vec<f64> {
    match scale {
        Scale::Linear => {
            let step = nice_step(hi - lo, 6.0);
            let first = (lo / step).ceil() as i64;
            let last = (hi / step).floor() as i64;
            (first..=last).map(|k| k as f64 * step).collect()
        }
        Scale::Log10 => {
            let first = lo.ceil() as i64;
            let last = hi.floor() as i64;
            let decades = (last - first + 1).max(0);
            if decades >= 3 {
                let every = (decades + 7) / 8; // at most about 8 labelled decades
                (first..=last)
                    .filter(|d| (d - first) % every == 0)
                    .map(|d| d as f64)
                    .collect()
            } else {
                // Fewer than three decades: label 1, 2 and 5 times each power of ten.
                let mut out = Vec::new();
                for d in (lo.floor() as i64)..=(hi.ceil() as i64) {
                    for m in [1.0f64, 2.0, 5.0] {
                        let t = d as f64 + m.log10();
                        if t >= lo && t <= hi {
                            out.push(t);
                        }
                    }
                }
                out
            }
        }
    }
}

/// A linear coordinate over `[lo, hi]` (axis space) whose grid lines and labels
/// sit exactly at `ticks`.
pub(crate) struct TickedAxis {
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    pub(crate) ticks: Vec<f64>,
}

impl TickedAxis {
    /// `[lo, hi]` with the ticks of `scale`.
    pub(crate) fn new(lo: f64, hi: f64, scale: Scale) -> TickedAxis {
        TickedAxis {
            lo,
            hi,
            ticks: ticks(lo, hi, scale),
        }
    }

    /// `[0, n]` with a tick at the centre of each of its `n` unit slots
    /// (the groups of a bar chart, the cells of a heat map).
    pub(crate) fn slots(n: usize) -> TickedAxis {
        TickedAxis {
            lo: 0.0,
            hi: n as f64,
            ticks: (0..n).map(|i| i as f64 + 0.5).collect(),
        }
    }
}

impl Ranged for TickedAxis {
    // Labels always come from our own formatter; this only satisfies `configure_mesh`.
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let fraction = (value - self.lo) / (self.hi - self.lo);
        limit.0 + (fraction * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_nice_and_inside() {
        let t = ticks(-0.05, 1.05, Scale::Linear);
        assert_eq!(t.len(), 6);
        assert!((t[1] - 0.2).abs() < 1e-12);
        assert!(t.iter().all(|&v| (-0.05..=1.05).contains(&v)));
    }

    #[test]
    fn log_ticks_are_decades_or_1_2_5() {
        assert_eq!(ticks(-3.2, 0.1, Scale::Log10), vec![-3.0, -2.0, -1.0, 0.0]);
        assert_eq!(ticks(0.2, 2.2, Scale::Log10).len(), 6); // 2, 5, 10, 20, 50, 100
        let narrow = ticks(0.0, 0.9, Scale::Log10);
        assert_eq!(narrow.len(), 3); // 1, 2, 5
    }

    #[test]
    fn slots_tick_at_their_centres() {
        let a = TickedAxis::slots(3);
        assert_eq!((a.lo, a.hi), (0.0, 3.0));
        assert_eq!(a.ticks, vec![0.5, 1.5, 2.5]);
    }
}
