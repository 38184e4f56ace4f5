//! Where a figure goes: `stem.svg` and `stem.png`, both drawn by the same code.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{PlotError, draw_err};
use crate::style::ensure_font;

/// Width of every figure, in pixels.
pub const FIGURE_WIDTH: u32 = 900;
/// Height of every figure, in pixels.
pub const FIGURE_HEIGHT: u32 = 560;

/// The files written for one figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    /// Path of the SVG file (`stem.svg`).
    pub svg: PathBuf,
    /// Path of the PNG file (`stem.png`).
    pub png: PathBuf,
}

/// A figure that can draw itself on any `plotters` backend.
pub(crate) trait Draw {
    /// Draws the whole figure on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static;
}

/// `stem` with `.ext` appended (not replacing a dot already in the file name).
fn with_suffix(stem: &Path, ext: &str) -> PathBuf {
    let mut name: OsString = stem.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

/// Draws `figure` into `stem.svg` and `stem.png` (the folder is created).
pub(crate) fn write_figure(figure: &impl Draw, stem: &Path) -> Result<Figure, PlotError> {
    ensure_font()?;
    if let Some(parent) = stem.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let files = Figure {
        svg: with_suffix(stem, "svg"),
        png: with_suffix(stem, "png"),
    };
    {
        let root = SVGBackend::new(&files.svg, (FIGURE_WIDTH, FIGURE_HEIGHT)).into_drawing_area();
        figure.draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    {
        let root =
            BitMapBackend::new(&files.png, (FIGURE_WIDTH, FIGURE_HEIGHT)).into_drawing_area();
        figure.draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_keeps_dots_in_stem() {
        assert_eq!(
            with_suffix(Path::new("out/loss.v2"), "svg"),
            PathBuf::from("out/loss.v2.svg")
        );
    }
}
