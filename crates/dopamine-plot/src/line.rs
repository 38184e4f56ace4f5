//! Line plots: curves on two shared axes, with optional shaded bands, gaps where a value cannot be drawn.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::axis::{Scale, TickedAxis, extent, padded_range, to_axis};
use crate::error::{PlotError, draw_err};
use crate::figure::{Draw, Figure, write_figure};
use crate::format::tick_label;
use crate::legend::{draw_legend, legend_corner};
use crate::style::{font, palette_colour};

/// A shaded band around a curve, e.g. the 25th-75th percentile over seeds.
/// `lo[i]` and `hi[i]` belong to the curve's `x[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Lower edge of the band, one value per point of the curve.
    pub lo: Vec<f64>,
    /// Upper edge of the band, one value per point of the curve.
    pub hi: Vec<f64>,
}

/// One labelled line of a [`LinePlot`], with an optional shaded band.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// Legend text.
    pub label: String,
    /// X coordinates.
    pub x: Vec<f64>,
    /// Y coordinates, one per x.
    pub y: Vec<f64>,
    /// Optional band drawn semi-transparent behind the line.
    pub band: Option<Band>,
}

/// A figure of one or more curves sharing two axes.
#[derive(Debug, Clone, PartialEq)]
pub struct LinePlot {
    /// Title above the plot.
    pub title: String,
    /// Text under the x axis.
    pub x_label: String,
    /// Text beside the y axis.
    pub y_label: String,
    /// Scale of the x axis.
    pub x_scale: Scale,
    /// Scale of the y axis.
    pub y_scale: Scale,
    /// The curves, coloured by their position in this list.
    pub curves: Vec<Curve>,
}

/// A curve turned into drawable pieces in axis space.
struct PreparedCurve {
    label: String,
    /// Runs of consecutive drawable points.
    segments: Vec<Vec<(f64, f64)>>,
    /// Runs of consecutive drawable band points `(x, lo, hi)`; `lo` may be
    /// `None` when it must be clamped to the bottom of a log axis.
    band_segments: Vec<Vec<(f64, Option<f64>, f64)>>,
}

impl PreparedCurve {
    fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }
}

/// Splits `items` into runs of consecutive `Some` values.
fn runs<T>(items: impl Iterator<Item = Option<T>>) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for item in items {
        match item {
            Some(v) => current.push(v),
            None if !current.is_empty() => out.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn prepare_curve(
    curve: &Curve,
    x_scale: Scale,
    y_scale: Scale,
) -> Result<PreparedCurve, PlotError> {
    let n = curve.x.len();
    let mismatch = || PlotError::LengthMismatch {
        label: curve.label.clone(),
    };
    if curve.y.len() != n {
        return Err(mismatch());
    }
    let points = curve
        .x
        .iter()
        .zip(&curve.y)
        .map(|(&x, &y)| Some((to_axis(x, x_scale)?, to_axis(y, y_scale)?)));
    let segments = runs(points);
    let band_segments = match &curve.band {
        None => Vec::new(),
        Some(band) => {
            if band.lo.len() != n || band.hi.len() != n {
                return Err(mismatch());
            }
            let points = (0..n).map(|i| {
                let x = to_axis(curve.x[i], x_scale)?;
                let hi = to_axis(band.hi[i], y_scale)?;
                let lo_raw = band.lo[i];
                if !lo_raw.is_finite() {
                    return None;
                }
                // Only a non-positive lower edge on a log axis becomes `None` (clamped).
                let lo = to_axis(lo_raw, y_scale);
                Some((x, lo, hi))
            });
            runs(points)
        }
    };
    Ok(PreparedCurve {
        label: curve.label.clone(),
        segments,
        band_segments,
    })
}

/// A line plot ready to draw: its curves in axis space and both ranges.
struct PreparedLinePlot<'a> {
    plot: &'a LinePlot,
    curves: Vec<PreparedCurve>,
    x_range: (f64, f64),
    y_range: (f64, f64),
}

/// Writes `plot` as `stem.svg` and `stem.png`; see the crate docs for how
/// NaN, non-positive values on log axes and empty curves are handled.
pub fn write_line_plot(plot: &LinePlot, stem: &Path) -> Result<Figure, PlotError> {
    let curves = plot
        .curves
        .iter()
        .map(|c| prepare_curve(c, plot.x_scale, plot.y_scale))
        .collect::<Result<Vec<_>, _>>()?;
    let all_points = || {
        curves
            .iter()
            .flat_map(|c| c.segments.iter().flatten().copied())
    };
    let band_points = || {
        curves
            .iter()
            .flat_map(|c| c.band_segments.iter().flatten().copied())
    };
    let x_extent = extent(all_points().map(|p| p.0).chain(band_points().map(|b| b.0)));
    let y_extent = extent(
        all_points()
            .map(|p| p.1)
            .chain(band_points().flat_map(|(_, lo, hi)| lo.into_iter().chain([hi]))),
    );
    let (Some((x_min, x_max)), Some((y_min, y_max))) = (x_extent, y_extent) else {
        return Err(PlotError::NoDrawablePoints {
            title: plot.title.clone(),
        });
    };
    let prepared = PreparedLinePlot {
        plot,
        x_range: padded_range(x_min, x_max, plot.x_scale),
        y_range: padded_range(y_min, y_max, plot.y_scale),
        curves,
    };
    write_figure(&prepared, stem)
}

impl Draw for PreparedLinePlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let PreparedLinePlot {
            plot,
            curves,
            x_range,
            y_range,
        } = self;
        let (x_range, y_range) = (*x_range, *y_range);
        root.fill(&WHITE).map_err(draw_err)?;
        let mut chart = ChartBuilder::on(root)
            .caption(&plot.title, font(24.0))
            .margin(16)
            .x_label_area_size(52)
            .y_label_area_size(78)
            .build_cartesian_2d(
                TickedAxis::new(x_range.0, x_range.1, plot.x_scale),
                TickedAxis::new(y_range.0, y_range.1, plot.y_scale),
            )
            .map_err(draw_err)?;
        let x_scale = plot.x_scale;
        let y_scale = plot.y_scale;
        let x_fmt = move |t: &f64| tick_label(*t, x_scale);
        let y_fmt = move |t: &f64| tick_label(*t, y_scale);
        chart
            .configure_mesh()
            .x_desc(plot.x_label.as_str())
            .y_desc(plot.y_label.as_str())
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(font(14.0))
            .axis_desc_style(font(17.0))
            .bold_line_style(BLACK.mix(0.12))
            .draw()
            .map_err(draw_err)?;

        // Bands first so every line is drawn on top of every band.
        for (index, curve) in curves.iter().enumerate() {
            let fill = palette_colour(index).mix(0.2).filled();
            for segment in &curve.band_segments {
                let upper = segment.iter().map(|&(x, _, hi)| (x, hi));
                let lower = segment
                    .iter()
                    .rev()
                    .map(|&(x, lo, _)| (x, lo.unwrap_or(y_range.0).max(y_range.0)));
                let outline: Vec<(f64, f64)> = upper.chain(lower).collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(outline, fill)))
                    .map_err(draw_err)?;
            }
        }
        for (index, curve) in curves.iter().enumerate() {
            let colour = palette_colour(index);
            let line = colour.stroke_width(2);
            let label = if curve.is_empty() {
                format!("{} (no data)", curve.label)
            } else {
                curve.label.clone()
            };
            // One labelled (possibly empty) series carries the legend entry.
            chart
                .draw_series(LineSeries::new(
                    curve.segments.first().cloned().unwrap_or_default(),
                    line,
                ))
                .map_err(draw_err)?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], line));
            for segment in curve.segments.iter().skip(1) {
                chart
                    .draw_series(LineSeries::new(segment.iter().copied(), line))
                    .map_err(draw_err)?;
            }
            // Isolated points would be invisible as lines: mark them.
            let singles = curve
                .segments
                .iter()
                .filter(|s| s.len() == 1)
                .map(|s| Circle::new(s[0], 3, colour.filled()));
            chart.draw_series(singles).map_err(draw_err)?;
        }
        let covered = curves.iter().flat_map(|c| {
            let line = c.segments.iter().flatten().copied();
            let band = c
                .band_segments
                .iter()
                .flatten()
                .flat_map(|&(x, lo, hi)| lo.map(|lo| (x, lo)).into_iter().chain([(x, hi)]));
            line.chain(band)
        });
        let corner = legend_corner(covered, x_range, y_range, curves.len());
        draw_legend(&mut chart, corner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_at_gaps() {
        let r = runs([Some(1), Some(2), None, None, Some(3)].into_iter());
        assert_eq!(r, vec![vec![1, 2], vec![3]]);
    }
}
