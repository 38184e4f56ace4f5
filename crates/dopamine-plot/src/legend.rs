//! Where the legend goes: the corner of the plot that covers the fewest data points.

use plotters::prelude::*;

use crate::error::{PlotError, draw_err};
use crate::style::font;

/// The legend corner that covers the fewest data points.
///
/// `points` are in axis space inside `x_range` x `y_range`; the legend is
/// taken to cover a box 40% wide and, for `entries` lines, about 7% high per
/// line at a corner. Ties go to upper right, upper left, lower left, lower right.
pub(crate) fn legend_corner(
    points: impl Iterator<Item = (f64, f64)>,
    x_range: (f64, f64),
    y_range: (f64, f64),
    entries: usize,
) -> SeriesLabelPosition {
    let width = 0.4;
    let height = (0.05 + 0.07 * entries as f64).min(0.8);
    let mut counts = [0usize; 4]; // upper right, upper left, lower left, lower right
    for (x, y) in points {
        let u = (x - x_range.0) / (x_range.1 - x_range.0);
        let v = (y - y_range.0) / (y_range.1 - y_range.0);
        let (right, left) = (u >= 1.0 - width, u <= width);
        let (top, bottom) = (v >= 1.0 - height, v <= height);
        counts[0] += usize::from(right && top);
        counts[1] += usize::from(left && top);
        counts[2] += usize::from(left && bottom);
        counts[3] += usize::from(right && bottom);
    }
    let best = (0..4).min_by_key(|&i| counts[i]).unwrap_or(0);
    [
        SeriesLabelPosition::UpperRight,
        SeriesLabelPosition::UpperLeft,
        SeriesLabelPosition::LowerLeft,
        SeriesLabelPosition::LowerRight,
    ][best]
        .clone()
}

/// Draws the legend of `chart` at `position`, in the style every figure shares.
pub(crate) fn draw_legend<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> Result<(), PlotError>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font(font(15.0))
        .draw()
        .map_err(draw_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legend_avoids_data() {
        let rising = (0..100).map(|i| (f64::from(i), f64::from(i)));
        let corner = legend_corner(rising, (0.0, 100.0), (0.0, 100.0), 2);
        assert!(matches!(corner, SeriesLabelPosition::UpperLeft));
        let falling = (0..100).map(|i| (f64::from(i), 100.0 - f64::from(i)));
        let corner = legend_corner(falling, (0.0, 100.0), (0.0, 100.0), 2);
        assert!(matches!(corner, SeriesLabelPosition::UpperRight));
    }
}
