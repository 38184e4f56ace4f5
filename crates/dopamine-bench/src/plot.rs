//! Line, grouped-bar and heat-map figures for reports, written as both SVG and PNG with `plotters`.
//!
//! Every figure is 900 x 560 pixels and is written twice from one stem:
//! `stem.svg` and `stem.png` (the parent folder is created if missing).
//!
//! # Fonts
//! PNG text is rasterised with `ab_glyph` from DejaVu Sans, embedded in the
//! library with `include_bytes!` (`assets/fonts/DejaVuSans.ttf`, Bitstream Vera
//! licence, see `assets/fonts/DejaVuSans-LICENSE.txt`), so no system font or
//! fontconfig is needed. The SVG files name the generic `sans-serif` family and
//! leave the choice of font to the viewer.
//!
//! # Data rules
//! - Points whose x or y is NaN or infinite are skipped; the line is broken there
//!   rather than drawn across the gap.
//! - On a [`Scale::Log10`] axis, points with a non-positive coordinate are skipped
//!   the same way. A band's lower edge that is non-positive on a log y axis is
//!   clamped to the bottom of the axis (so the band stays visible); a band point
//!   whose upper edge is non-positive, or whose edges are not finite, is skipped.
//! - A curve with no drawable point is still listed in the legend, marked
//!   "(no data)". A plot in which no curve has a drawable point is an error
//!   ([`PlotError::NoDrawablePoints`]) and writes no file.
//! - `x`, `y` and a band's `lo`/`hi` must have equal lengths
//!   ([`PlotError::LengthMismatch`] otherwise).
//!
//! # Layout
//! Log axes are labelled at powers of ten, or at 1, 2 and 5 times them when
//! the data span fewer than three decades. The legend goes in the corner of
//! the plot that covers the fewest data points.
//!
//! # Colours
//! The colour of a curve (or of a bar series) is chosen by its position: the
//! `i`-th curve of every figure gets [`palette_rgb`]`(i)`. Keep the order of
//! optimizers fixed across figures and each optimizer keeps its colour.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of every figure, in pixels.
pub const FIGURE_WIDTH: u32 = 900;
/// Height of every figure, in pixels.
pub const FIGURE_HEIGHT: u32 = 560;

/// The embedded font (DejaVu Sans, Bitstream Vera licence).
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
/// The family name under which the embedded font is registered.
const FONT_FAMILY: &str = "sans-serif";

/// Ten well-separated colours (the "Tableau 10" palette).
const PALETTE: [[u8; 3]; 10] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
];

/// The RGB colour given to the curve or bar series at position `index`
/// (the palette repeats after ten entries).
pub fn palette_rgb(index: usize) -> [u8; 3] {
    PALETTE[index % PALETTE.len()]
}

fn palette_colour(index: usize) -> RGBColor {
    let [r, g, b] = palette_rgb(index);
    RGBColor(r, g, b)
}

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

/// How an axis maps values to positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Evenly spaced values.
    #[default]
    Linear,
    /// Evenly spaced decades; non-positive values cannot be shown and are skipped.
    Log10,
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

/// The files written for one figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    /// Path of the SVG file (`stem.svg`).
    pub svg: PathBuf,
    /// Path of the PNG file (`stem.png`).
    pub png: PathBuf,
}

/// Why a figure could not be written.
#[derive(Debug)]
pub enum PlotError {
    /// Creating the output folder failed.
    Io(std::io::Error),
    /// A curve's `x`, `y` or band vectors have different lengths.
    LengthMismatch {
        /// Label of the offending curve.
        label: String,
    },
    /// Nothing in the figure can be drawn (no curves/groups, or only NaN,
    /// infinite or, on log axes, non-positive values).
    NoDrawablePoints {
        /// Title of the figure.
        title: String,
    },
    /// The embedded font could not be registered with `plotters`.
    Font,
    /// `plotters` failed while drawing or writing a file.
    Draw(String),
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlotError::Io(e) => write!(f, "cannot create the figure's folder: {e}"),
            PlotError::LengthMismatch { label } => write!(
                f,
                "curve {label:?}: x, y and band vectors must have equal lengths"
            ),
            PlotError::NoDrawablePoints { title } => {
                write!(f, "figure {title:?} has no drawable point")
            }
            PlotError::Font => write!(f, "the embedded font could not be loaded"),
            PlotError::Draw(msg) => write!(f, "drawing failed: {msg}"),
        }
    }
}

impl std::error::Error for PlotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PlotError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for PlotError {
    fn from(e: std::io::Error) -> Self {
        PlotError::Io(e)
    }
}

fn draw_err<E: fmt::Display>(e: E) -> PlotError {
    PlotError::Draw(e.to_string())
}

/// Registers the embedded font with `plotters` once per process.
fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    if ok { Ok(()) } else { Err(PlotError::Font) }
}

/// `stem` with `.ext` appended (not replacing a dot already in the file name).
fn with_suffix(stem: &Path, ext: &str) -> PathBuf {
    let mut name: OsString = stem.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

fn prepare_output(stem: &Path) -> Result<Figure, PlotError> {
    if let Some(parent) = stem.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    Ok(Figure {
        svg: with_suffix(stem, "svg"),
        png: with_suffix(stem, "png"),
    })
}

// ---------------------------------------------------------------------------
// Axis helpers: all drawing happens in "axis space", where a log axis holds
// log10 of the value. Ticks are computed here and labelled with the real value.

/// Maps a data value to axis space, or `None` if it cannot be shown.
fn to_axis(value: f64, scale: Scale) -> Option<f64> {
    if !value.is_finite() {
        return None;
    }
    match scale {
        Scale::Linear => Some(value),
        Scale::Log10 if value > 0.0 => Some(value.log10()),
        Scale::Log10 => None,
    }
}

/// A padded axis range (axis space) from the observed min and max.
fn padded_range(min: f64, max: f64, scale: Scale) -> (f64, f64) {
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
fn ticks(lo: f64, hi: f64, scale: Scale) -> Vec<f64> {
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

/// Short text for an axis value: plain decimals for moderate magnitudes,
/// `1e-5` style otherwise, three significant digits at most.
fn format_axis_value(value: f64) -> String {
    if value == 0.0 {
        return "0".to_string();
    }
    let magnitude = value.abs();
    if (1e-3..1e5).contains(&magnitude) {
        let digits = (2 - magnitude.log10().floor() as i32).max(0) as usize;
        let text = format!("{value:.digits$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    } else {
        let text = format!("{value:.2e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        format!("{mantissa}e{exponent}")
    }
}

/// Label for a tick at axis-space position `t`.
fn tick_label(t: f64, scale: Scale) -> String {
    match scale {
        Scale::Linear => {
            // Snap values like 0.30000000000000004 before formatting.
            let snapped = if t.abs() < 1e-12 { 0.0 } else { t };
            format_axis_value(snapped)
        }
        Scale::Log10 => format_axis_value(10f64.powf(t)),
    }
}

/// A linear coordinate over `[lo, hi]` (axis space) whose grid lines and labels
/// sit exactly at `ticks`.
struct TickedAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
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

fn axis(lo: f64, hi: f64, scale: Scale) -> TickedAxis {
    TickedAxis {
        lo,
        hi,
        ticks: ticks(lo, hi, scale),
    }
}

/// The legend corner that covers the fewest data points.
///
/// `points` are in axis space inside `x_range` x `y_range`; the legend is
/// taken to cover a box 40% wide and, for `entries` lines, about 7% high per
/// line at a corner. Ties go to upper right, upper left, lower left, lower right.
fn legend_corner(
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

fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FONT_FAMILY, size).into_font()).color(&BLACK)
}

// ---------------------------------------------------------------------------
// Line plots.

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

/// Min and max of an iterator of values, or `None` if it is empty.
fn extent(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Writes `plot` as `stem.svg` and `stem.png`; see the module docs for how
/// NaN, non-positive values on log axes and empty curves are handled.
pub fn write_line_plot(plot: &LinePlot, stem: &Path) -> Result<Figure, PlotError> {
    ensure_font()?;
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
    let x_range = padded_range(x_min, x_max, plot.x_scale);
    let y_range = padded_range(y_min, y_max, plot.y_scale);
    let figure = prepare_output(stem)?;
    {
        let root = SVGBackend::new(&figure.svg, (FIGURE_WIDTH, FIGURE_HEIGHT)).into_drawing_area();
        draw_line_plot(&root, plot, &curves, x_range, y_range)?;
        root.present().map_err(draw_err)?;
    }
    {
        let root =
            BitMapBackend::new(&figure.png, (FIGURE_WIDTH, FIGURE_HEIGHT)).into_drawing_area();
        draw_line_plot(&root, plot, &curves, x_range, y_range)?;
        root.present().map_err(draw_err)?;
    }
    Ok(figure)
}

fn draw_line_plot<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: &LinePlot,
    curves: &[PreparedCurve],
    x_range: (f64, f64),
    y_range: (f64, f64),
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(draw_err)?;
    let mut chart = ChartBuilder::on(root)
        .caption(&plot.title, font(24.0))
        .margin(16)
        .x_label_area_size(52)
        .y_label_area_size(78)
        .build_cartesian_2d(
            axis(x_range.0, x_range.1, plot.x_scale),
            axis(y_range.0, y_range.1, plot.y_scale),
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
    chart
        .configure_series_labels()
        .position(legend_corner(covered, x_range, y_range, curves.len()))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font(font(15.0))
        .draw()
        .map_err(draw_err)?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Bar plots.

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

/// Writes `plot` as `stem.svg` and `stem.png`. Bars are coloured by series name
/// (order of first appearance); each bar carries its value as text, non-finite
/// values draw no bar and the text "n/a". Fails with
/// [`PlotError::NoDrawablePoints`] if no value is finite.
pub fn write_bar_plot(plot: &BarPlot, stem: &Path) -> Result<Figure, PlotError> {
    ensure_font()?;
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
    let figure = prepare_output(stem)?;
    {
        let root = SVGBackend::new(&figure.svg, (FIGURE_WIDTH, FIGURE_HEIGHT)).into_drawing_area();
        draw_bar_plot(&root, plot, (y_lo, y_hi))?;
        root.present().map_err(draw_err)?;
    }
    {
        let root =
            BitMapBackend::new(&figure.png, (FIGURE_WIDTH, FIGURE_HEIGHT)).into_drawing_area();
        draw_bar_plot(&root, plot, (y_lo, y_hi))?;
        root.present().map_err(draw_err)?;
    }
    Ok(figure)
}

fn draw_bar_plot<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: &BarPlot,
    y_range: (f64, f64),
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(draw_err)?;
    let n_groups = plot.groups.len();
    let names = series_names(plot);
    let group_centres: Vec<f64> = (0..n_groups).map(|i| i as f64 + 0.5).collect();
    let mut chart = ChartBuilder::on(root)
        .caption(&plot.title, font(24.0))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(78)
        .build_cartesian_2d(
            TickedAxis {
                lo: 0.0,
                hi: n_groups as f64,
                ticks: group_centres,
            },
            axis(y_range.0, y_range.1, Scale::Linear),
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
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled()));
        chart.draw_series(texts).map_err(draw_err)?;
    }
    let x_range = (0.0, n_groups as f64);
    chart
        .configure_series_labels()
        .position(legend_corner(
            covered.into_iter(),
            x_range,
            y_range,
            names.len(),
        ))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font(font(15.0))
        .draw()
        .map_err(draw_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_values_are_short() {
        assert_eq!(format_axis_value(0.0), "0");
        assert_eq!(format_axis_value(1.0), "1");
        assert_eq!(format_axis_value(0.25), "0.25");
        assert_eq!(format_axis_value(1000.0), "1000");
        assert_eq!(format_axis_value(1e-5), "1e-5");
        assert_eq!(format_axis_value(2.0000000001e-7), "2e-7");
        assert_eq!(format_axis_value(1e6), "1e6");
        assert_eq!(tick_label(-2.0, Scale::Log10), "0.01");
    }

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
    fn legend_avoids_data() {
        let rising = (0..100).map(|i| (f64::from(i), f64::from(i)));
        let corner = legend_corner(rising, (0.0, 100.0), (0.0, 100.0), 2);
        assert!(matches!(corner, SeriesLabelPosition::UpperLeft));
        let falling = (0..100).map(|i| (f64::from(i), 100.0 - f64::from(i)));
        let corner = legend_corner(falling, (0.0, 100.0), (0.0, 100.0), 2);
        assert!(matches!(corner, SeriesLabelPosition::UpperRight));
    }

    #[test]
    fn runs_split_at_gaps() {
        let r = runs([Some(1), Some(2), None, None, Some(3)].into_iter());
        assert_eq!(r, vec![vec![1, 2], vec![3]]);
    }

    #[test]
    fn suffix_keeps_dots_in_stem() {
        assert_eq!(
            with_suffix(Path::new("out/loss.v2"), "svg"),
            PathBuf::from("out/loss.v2.svg")
        );
    }
}

// ---------------------------------------------------------------------------
// Heat maps.

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
/// (red), with the value written in it. Fails with
/// [`PlotError::LengthMismatch`] when a row's length is not the number of
/// columns, or the number of rows is not the number of row labels, and with
/// [`PlotError::NoDrawablePoints`] when the grid is empty.
pub fn write_heat_map(map: &HeatMap, stem: &Path) -> Result<Figure, PlotError> {
    ensure_font()?;
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
    let figure = prepare_output(stem)?;
    {
        let root = SVGBackend::new(&figure.svg, (FIGURE_WIDTH, FIGURE_HEIGHT)).into_drawing_area();
        draw_heat_map(&root, map)?;
        root.present().map_err(draw_err)?;
    }
    {
        let root =
            BitMapBackend::new(&figure.png, (FIGURE_WIDTH, FIGURE_HEIGHT)).into_drawing_area();
        draw_heat_map(&root, map)?;
        root.present().map_err(draw_err)?;
    }
    Ok(figure)
}

fn draw_heat_map<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    map: &HeatMap,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(draw_err)?;
    let (nx, ny) = (map.x_values.len(), map.y_values.len());
    let centres = |n: usize| (0..n).map(|i| i as f64 + 0.5).collect::<Vec<f64>>();
    let mut chart = ChartBuilder::on(root)
        .caption(&map.title, font(22.0))
        .margin(16)
        .x_label_area_size(52)
        .y_label_area_size(90)
        .build_cartesian_2d(
            TickedAxis {
                lo: 0.0,
                hi: nx as f64,
                ticks: centres(nx),
            },
            TickedAxis {
                lo: 0.0,
                hi: ny as f64,
                ticks: centres(ny),
            },
        )
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
                (
                    heat_colour((v.log10() - lo) / span),
                    crate::markdown::fmt_sig(v, 3),
                )
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
