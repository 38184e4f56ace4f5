//! `dopamine-plot`: line plots, grouped bar charts and heat maps, each written as SVG and PNG from one description, with an embedded font.
//!
//! It draws the figures of the Dopamine lab (`cargo xtask reproduce`) and is
//! meant for any other front end that reports training runs: a command line,
//! a notebook exporter, a CI job. A figure is plain data — a [`LinePlot`],
//! [`BarPlot`] or [`HeatMap`] — handed to [`write_line_plot`],
//! [`write_bar_plot`] or [`write_heat_map`] with a path *stem*; both
//! `stem.svg` and `stem.png` are written (the parent folder is created if
//! missing), [`FIGURE_WIDTH`] x [`FIGURE_HEIGHT`] pixels each.
//!
//! # Example
//!
//! ```
//! use dopamine_plot::{Band, Curve, LinePlot, Scale, write_line_plot};
//!
//! # fn main() -> Result<(), dopamine_plot::PlotError> {
//! // A loss curve with a band (say, the 25th-75th percentile over seeds).
//! let steps: Vec<f64> = (1..=100).map(f64::from).collect();
//! let loss: Vec<f64> = steps.iter().map(|s| 1.0 / s).collect();
//! let plot = LinePlot {
//!     title: "training loss".into(),
//!     x_label: "step".into(),
//!     y_label: "MSE".into(),
//!     x_scale: Scale::Linear,
//!     y_scale: Scale::Log10,
//!     curves: vec![Curve {
//!         label: "Dopamine-1".into(),
//!         x: steps.clone(),
//!         band: Some(Band {
//!             lo: loss.iter().map(|v| 0.8 * v).collect(),
//!             hi: loss.iter().map(|v| 1.25 * v).collect(),
//!         }),
//!         y: loss,
//!     }],
//! };
//! let stem = std::env::temp_dir().join(format!("dopamine-plot-doc-{}", std::process::id()));
//! let figure = write_line_plot(&plot, &stem)?;
//! assert!(std::fs::read_to_string(&figure.svg)?.contains("training loss"));
//! assert!(figure.png.exists());
//! # std::fs::remove_file(&figure.svg)?;
//! # std::fs::remove_file(&figure.png)?;
//! # Ok(())
//! # }
//! ```
//!
//! # Fonts
//!
//! PNG text is rasterised with `ab_glyph` from DejaVu Sans, embedded in the
//! library with `include_bytes!` (`assets/fonts/DejaVuSans.ttf`, Bitstream
//! Vera licence, see `assets/fonts/DejaVuSans-LICENSE.txt`), so no system
//! font or fontconfig is needed. The SVG files name the generic `sans-serif`
//! family and leave the choice of font to the viewer.
//!
//! # Data rules
//!
//! - Points whose x or y is NaN or infinite are skipped; the line is broken
//!   there rather than drawn across the gap.
//! - On a [`Scale::Log10`] axis, points with a non-positive coordinate are
//!   skipped the same way. A band's lower edge that is non-positive on a log
//!   y axis is clamped to the bottom of the axis (so the band stays
//!   visible); a band point whose upper edge is non-positive, or whose edges
//!   are not finite, is skipped.
//! - A curve with no drawable point is still listed in the legend, marked
//!   "(no data)". A plot in which no curve has a drawable point is an error
//!   ([`PlotError::NoDrawablePoints`]) and writes no file.
//! - `x`, `y` and a band's `lo`/`hi` must have equal lengths
//!   ([`PlotError::LengthMismatch`] otherwise); so must a heat map's rows
//!   and its labels.
//!
//! # Layout
//!
//! Log axes are labelled at powers of ten, or at 1, 2 and 5 times them when
//! the data span fewer than three decades. The legend goes in the corner of
//! the plot that covers the fewest data points.
//!
//! # Colours
//!
//! The colour of a curve (or of a bar series) is chosen by its position: the
//! `i`-th curve of every figure gets [`palette_rgb`]`(i)`. Keep the order of
//! the series fixed across figures and each keeps its colour. A heat map's
//! cells run from green (its best, lowest value) through yellow to red (its
//! worst) on a log scale; a non-finite cell is grey and reads "div.".
//!
//! # Modules
//!
//! `axis` (scales, ranges, ticks), `line`, `bar` and `heat` (one kind of
//! figure each), `legend` (placement), `style` (font and palette),
//! `format` ([`fmt_sig`] and tick labels), `figure` (the two files of a
//! figure) and `error` ([`PlotError`]).

mod axis;
mod bar;
mod error;
mod figure;
mod format;
mod heat;
mod legend;
mod line;
mod style;

pub use axis::Scale;
pub use bar::{BarGroup, BarPlot, write_bar_plot};
pub use error::PlotError;
pub use figure::{FIGURE_HEIGHT, FIGURE_WIDTH, Figure};
pub use format::fmt_sig;
pub use heat::{HeatMap, write_heat_map};
pub use line::{Band, Curve, LinePlot, write_line_plot};
pub use style::palette_rgb;
