//! Numbers as text: [`fmt_sig`] for values written in figures and tables, and the short labels of axis ticks.

use crate::axis::Scale;

/// Formats `x` with `digits` significant digits (at least 1) for a figure
/// or a report.
///
/// Magnitudes from 0.001 up to 1e6 print as plain decimals, keeping trailing
/// zeros that are significant (`fmt_sig(0.5, 3) == "0.500"`); larger and
/// smaller ones print in scientific notation (`"1.23e-7"`). Zero is `"0"`,
/// NaN is `"n/a"` and infinities are `"inf"` / `"-inf"`.
///
/// ```
/// use dopamine_plot::fmt_sig;
/// assert_eq!(fmt_sig(0.012345, 3), "0.0123");
/// assert_eq!(fmt_sig(9.996, 3), "10.0");
/// assert_eq!(fmt_sig(2.5e9, 2), "2.5e9");
/// ```
pub fn fmt_sig(x: f64, digits: usize) -> String {
    if x.is_nan() {
        return "n/a".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let digits = digits.max(1);
    // Round first in scientific form, so 9.996 -> 1.00e1 decides the exponent.
    let scientific = format!("{:.*e}", digits - 1, x);
    let (_, exponent) = scientific
        .split_once('e')
        .expect("`{:e}` output always has an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` exponent is an integer");
    if (-3..6).contains(&exponent) {
        let rounded: f64 = scientific.parse().expect("`{:e}` output parses back");
        let decimals = (digits as i32 - 1 - exponent).max(0) as usize;
        format!("{rounded:.decimals$}")
    } else {
        scientific
    }
}

/// Short text for an axis value: plain decimals for moderate magnitudes,
/// `1e-5` style otherwise, three significant digits at most.
pub(crate) fn format_axis_value(value: f64) -> String {
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
pub(crate) fn tick_label(t: f64, scale: Scale) -> String {
    match scale {
        Scale::Linear => {
            // Snap values like 0.30000000000000004 before formatting.
            let snapped = if t.abs() < 1e-12 { 0.0 } else { t };
            format_axis_value(snapped)
        }
        Scale::Log10 => format_axis_value(10f64.powf(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmt_sig_examples() {
        assert_eq!(fmt_sig(0.5, 3), "0.500");
        assert_eq!(fmt_sig(1234.5678, 3), "1230");
        assert_eq!(fmt_sig(9.996, 3), "10.0");
        assert_eq!(fmt_sig(-0.012345, 2), "-0.012");
        assert_eq!(fmt_sig(1.23456e-7, 3), "1.23e-7");
        assert_eq!(fmt_sig(2.5e9, 2), "2.5e9");
        assert_eq!(fmt_sig(42.0, 0), "40");
        assert_eq!(fmt_sig(0.0, 3), "0");
        assert_eq!(fmt_sig(f64::NAN, 3), "n/a");
        assert_eq!(fmt_sig(f64::INFINITY, 3), "inf");
        assert_eq!(fmt_sig(f64::NEG_INFINITY, 3), "-inf");
    }

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
}
