//! `PlotError`: why a figure could not be written.

use std::fmt;

/// Why a figure could not be written.
#[derive(Debug)]
#[non_exhaustive]
pub enum PlotError {
    /// Creating the output folder failed.
    Io(std::io::Error),
    /// A curve's `x`, `y` or band vectors have different lengths, or a heat
    /// map's rows do not match its labels.
    LengthMismatch {
        /// Label of the offending curve (the title, for a heat map).
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

/// A `plotters` error as [`PlotError::Draw`], for `map_err`.
pub(crate) fn draw_err<E: fmt::Display>(e: E) -> PlotError {
    PlotError::Draw(e.to_string())
}
