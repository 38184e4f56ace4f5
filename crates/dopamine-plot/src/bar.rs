//! Grouped bar charts on a linear y axis, each bar labelled with its value.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::{Scale, TickedAxis, extent};
use crate::error::{PlotError, draw_err};
use crate::figure::{Draw, Figure, write_figure};
use crate::format::{format_axis_value, tick_label};
use crate::legend::{draw_legend, legend_corner};
use crate::style::{font, palette_colour};

/// One group of bars, e.g. one task with one bar per optimizer.
#[derive(Debug, Clone, PartialEq)]
pub struct BarGroup {
    /// Text under the group.
    pub label: String,
    /// `(series name, value)` pairs; bars of the same series name share a colour
    /// and a legend entry across groups.
    pub values: Vec<(String, f64)>,
}

/// A grouped bar chart on a linear y axis.
#[derive(Debug, Clone, PartialEq)]
pub struct BarPlot {
    /// Title above the plot.
    pub title: String,
    /// Text beside the y axis.
    pub y_label: String,
    /// Groups, left to right.
    pub groups: Vec<BarGroup>,
    /// Top of the y axis; `None` picks it from the data (12% headroom above the tallest bar).
    pub y_max: Option<f64>,
}

/// Series names in order of first appearance across the groups.
fn series_names(plot: &BarPlot) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for group in &plot.groups {
        for (name, _) in &group.values {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    names
}

/// A bar plot with its y range decided.
struct PreparedBarPlot<'a> {
    plot: &'a BarPlot,
    y_range: (f64, f64),
}

/// Writes `plot` as `stem.svg` and `stem.png`. Bars are coloured by series name
/// (order of first appearance); each bar carries its value as text, non-finite
/// values draw no bar and the text "n/a". Fails with
/// [`PlotError::NoDrawablePoints`] if no value is finite.
pub fn write_bar_plot(plot: &BarPlot, stem: &Path) -> Result<Figure, PlotError> {
    let finite = || {
        plot.groups
            .iter()
            .flat_map(|g| g.values.iter().map(|(_, v)| *v))
            .filter(|v| v.is_finite())
    };
    let Some((min, max)) = extent(finite()) else {
        return Err(PlotError::NoDrawablePoints {
            title: plot.title.clone(),
        });
    };
    let y_lo = min.min(0.0);
    let mut y_hi = match plot.y_max {
        Some(top) if top.is_finite() => top,
        _ => max.max(0.0) + 0.12 * (max.max(0.0) - y_lo),
    };
    if y_hi <= y_lo {
        y_hi = y_lo + 1.0;
    }
    write_figure(
        &PreparedBarPlot {
            plot,
            y_range: (y_lo, y_hi),
        },
        stem,
    )
}

impl Draw for PreparedBarPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let (plot, y_range) = (self.plot, self.y_range);
        root.fill(&WHITE).map_err(draw_err)?;
        let n_groups = plot.groups.len();
        let names = series_names(plot);
        let mut chart = ChartBuilder::on(root)
            .caption(&plot.title, font(24.0))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(78)
            .build_cartesian_2d(
                TickedAxis::slots(n_groups),
                TickedAxis::new(y_range.0, y_range.1, Scale::Linear),
            )
            .map_err(draw_err)?;
        let x_fmt = |t: &f64| {
            let index = t.floor().max(0.0) as usize;
            plot.groups
                .get(index)
                .map(|g| g.label.clone())
                .unwrap_or_default()
        };
        let y_fmt = |t: &f64| tick_label(*t, Scale::Linear);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(plot.y_label.as_str())
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(font(15.0))
            .axis_desc_style(font(17.0))
            .bold_line_style(BLACK.mix(0.12))
            .draw()
            .map_err(draw_err)?;

        let slot = 0.8 / names.len().max(1) as f64;
        let base = 0.0f64.clamp(y_range.0, y_range.1);
        // Points along every bar (and its value text), for placing the legend.
        let mut covered = Vec::new();
        for (series, name) in names.iter().enumerate() {
            let colour = palette_colour(series);
            let mut bars = Vec::new();
            let mut texts = Vec::new();
            for (g, group) in plot.groups.iter().enumerate() {
                for (_, value) in group.values.iter().filter(|(n, _)| n == name) {
                    let x0 = g as f64 + 0.1 + series as f64 * slot;
                    let x1 = x0 + slot * 0.92;
                    let centre = (x0 + x1) / 2.0;
                    let anchor = Pos::new(HPos::Center, VPos::Bottom);
                    if value.is_finite() {
                        let top = value.clamp(y_range.0, y_range.1);
                        let text_top = top + 0.06 * (y_range.1 - y_range.0);
                        covered.extend((0..=20).flat_map(|k| {
                            let y = base + (text_top - base) * f64::from(k) / 20.0;
                            [(x0, y), (centre, y), (x1, y)]
                        }));
                        bars.push(Rectangle::new([(x0, base), (x1, top)], colour.filled()));
                        texts.push(Text::new(
                            format_axis_value(*value),
                            (centre, top.max(base)),
                            font(13.0).pos(anchor),
                        ));
                    } else {
                        texts.push(Text::new(
                            "n/a".to_string(),
                            (centre, base),
                            font(13.0).pos(anchor),
                        ));
                    }
                }
            }
            chart
                .draw_series(bars)
                .map_err(draw_err)?
                .label(*name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled())
                });
            chart.draw_series(texts).map_err(draw_err)?;
        }
        let x_range = (0.0, n_groups as f64);
        let corner = legend_corner(covered.into_iter(), x_range, y_range, names.len());
        draw_legend(&mut chart, corner)
    }
}
