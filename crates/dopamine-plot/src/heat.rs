//! Heat maps: a grid of values (a tuning grid's scores), each cell coloured on a log scale from best to worst and labelled with its value.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::{TickedAxis, extent};
use crate::error::{PlotError, draw_err};
use crate::figure::{Draw, Figure, write_figure};
use crate::format::fmt_sig;
use crate::style::font;

/// A grid of values, one cell per (x, y) pair: a tuning grid's scores.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatMap {
    /// Title above the grid.
    pub title: String,
    /// Label of the x axis.
    pub x_label: String,
    /// Label of the y axis.
    pub y_label: String,
    /// Column labels, left to right.
    pub x_values: Vec<String>,
    /// Row labels, bottom to top.
    pub y_values: Vec<String>,
    /// `cells[row][column]`; lower is better. A non-finite cell is drawn
    /// grey with the text "div." (diverged).
    pub cells: Vec<Vec<f64>>,
}

/// The colour of `t` in `[0, 1]` (0: best, green; 1: worst, red), through yellow.
fn heat_colour(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64, u: f64| (a + (b - a) * u).round() as u8;
    if t < 0.5 {
        let u = 2.0 * t;
        RGBColor(
            lerp(44.0, 250.0, u),
            lerp(160.0, 210.0, u),
            lerp(44.0, 60.0, u),
        )
    } else {
        let u = 2.0 * t - 1.0;
        RGBColor(
            lerp(250.0, 214.0, u),
            lerp(210.0, 39.0, u),
            lerp(60.0, 40.0, u),
        )
    }
}

/// Writes `map` as `stem.svg` and `stem.png`: each cell coloured by the
/// log10 of its value between the grid's best (green) and worst finite value
/// (red), with the value written in it ([`fmt_sig`], three digits). Fails with
/// [`PlotError::LengthMismatch`] when a row's length is not the number of
/// columns, or the number of rows is not the number of row labels, and with
/// [`PlotError::NoDrawablePoints`] when the grid is empty.
pub fn write_heat_map(map: &HeatMap, stem: &Path) -> Result<Figure, PlotError> {
    let (nx, ny) = (map.x_values.len(), map.y_values.len());
    if nx == 0 || ny == 0 {
        return Err(PlotError::NoDrawablePoints {
            title: map.title.clone(),
        });
    }
    if map.cells.len() != ny || map.cells.iter().any(|r| r.len() != nx) {
        return Err(PlotError::LengthMismatch {
            label: map.title.clone(),
        });
    }
    write_figure(map, stem)
}

impl Draw for HeatMap {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let map = self;
        root.fill(&WHITE).map_err(draw_err)?;
        let (nx, ny) = (map.x_values.len(), map.y_values.len());
        let mut chart = ChartBuilder::on(root)
            .caption(&map.title, font(22.0))
            .margin(16)
            .x_label_area_size(52)
            .y_label_area_size(90)
            .build_cartesian_2d(TickedAxis::slots(nx), TickedAxis::slots(ny))
            .map_err(draw_err)?;
        let label = |values: &[String], t: f64| {
            values
                .get(t.floor().max(0.0) as usize)
                .cloned()
                .unwrap_or_default()
        };
        let x_fmt = |t: &f64| label(&map.x_values, *t);
        let y_fmt = |t: &f64| label(&map.y_values, *t);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(map.x_label.as_str())
            .y_desc(map.y_label.as_str())
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(font(15.0))
            .axis_desc_style(font(17.0))
            .draw()
            .map_err(draw_err)?;
        let logs: Vec<f64> = map
            .cells
            .iter()
            .flatten()
            .filter(|v| v.is_finite() && **v > 0.0)
            .map(|v| v.log10())
            .collect();
        let (lo, hi) = extent(logs.iter().copied()).unwrap_or((0.0, 1.0));
        let span = if hi > lo { hi - lo } else { 1.0 };
        for (row, values) in map.cells.iter().enumerate() {
            for (col, &v) in values.iter().enumerate() {
                let (x0, y0) = (col as f64, row as f64);
                let (colour, text) = if v.is_finite() && v > 0.0 {
                    (heat_colour((v.log10() - lo) / span), fmt_sig(v, 3))
                } else {
                    (RGBColor(190, 190, 190), "div.".to_string())
                };
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x0 + 0.02, y0 + 0.02), (x0 + 0.98, y0 + 0.98)],
                        colour.filled(),
                    )))
                    .map_err(draw_err)?;
                chart
                    .draw_series(std::iter::once(Text::new(
                        text,
                        (x0 + 0.5, y0 + 0.5),
                        font(14.0).pos(Pos::new(HPos::Center, VPos::Center)),
                    )))
                    .map_err(draw_err)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_colours_run_from_green_through_yellow_to_red() {
        assert_eq!(heat_colour(0.0), RGBColor(44, 160, 44));
        assert_eq!(heat_colour(0.5), RGBColor(250, 210, 60));
        assert_eq!(heat_colour(1.0), RGBColor(214, 39, 40));
        assert_eq!(heat_colour(-3.0), heat_colour(0.0), "clamped");
    }
}
