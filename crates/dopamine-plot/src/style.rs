//! The look shared by every figure: the embedded font and the colour palette.

use std::sync::OnceLock;

use plotters::prelude::*;

use crate::error::PlotError;

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

/// [`palette_rgb`] as a `plotters` colour.
pub(crate) fn palette_colour(index: usize) -> RGBColor {
    let [r, g, b] = palette_rgb(index);
    RGBColor(r, g, b)
}

/// Registers the embedded font with `plotters` once per process.
pub(crate) fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    if ok { Ok(()) } else { Err(PlotError::Font) }
}

/// Black text of `size` points in the embedded font.
pub(crate) fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FONT_FAMILY, size).into_font()).color(&BLACK)
}
