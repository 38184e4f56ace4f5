//! Writes a line plot, a bar plot and a heat map to a temporary folder and checks the SVG text and PNG files.

use std::path::PathBuf;

use dopamine_plot::{
    Band, BarGroup, BarPlot, Curve, FIGURE_HEIGHT, FIGURE_WIDTH, HeatMap, LinePlot, PlotError,
    Scale, write_bar_plot, write_heat_map, write_line_plot,
};

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// A fresh folder under the system temp dir, unique to this process and test.
fn temp_folder(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "dopamine-plot-{test}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Decodes a PNG and returns its size and how many distinct RGB colours it has.
fn decode_png(path: &std::path::Path) -> (u32, u32, usize) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        &PNG_SIGNATURE,
        "{} is not a PNG",
        path.display()
    );
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    let step = frame.color_type.samples();
    let colours: std::collections::HashSet<&[u8]> = pixels[..frame.buffer_size()]
        .chunks(step)
        .map(|p| &p[..3])
        .collect();
    (frame.width, frame.height, colours.len())
}

#[test]
fn line_and_bar_plots_write_svg_and_png() {
    let dir = temp_folder("plots");
    let x: Vec<f64> = (1..=50).map(f64::from).collect();
    let y: Vec<f64> = x.iter().map(|s| 1.0 / s).collect();
    let mut with_gaps = y.clone();
    with_gaps[10] = f64::NAN;
    with_gaps[20] = -1.0; // not drawable on a log axis
    let line = LinePlot {
        title: "Loss vs step check".into(),
        x_label: "step".into(),
        y_label: "loss".into(),
        x_scale: Scale::Log10,
        y_scale: Scale::Log10,
        curves: vec![
            Curve {
                label: "first".into(),
                x: x.clone(),
                y: y.clone(),
                band: Some(Band {
                    lo: y.iter().map(|v| v * 0.5 - 0.1).collect(), // partly non-positive: clamped
                    hi: y.iter().map(|v| v * 2.0).collect(),
                }),
            },
            Curve {
                label: "gappy".into(),
                x: x.clone(),
                y: with_gaps,
                band: None,
            },
            Curve {
                label: "empty".into(),
                x: vec![],
                y: vec![],
                band: None,
            },
        ],
    };
    let figure = write_line_plot(&line, &dir.join("loss")).unwrap();
    let svg = std::fs::read_to_string(&figure.svg).unwrap();
    assert!(svg.contains("Loss vs step check"));
    assert!(svg.contains("empty (no data)"));
    let (w, h, colours) = decode_png(&figure.png);
    assert_eq!((w, h), (FIGURE_WIDTH, FIGURE_HEIGHT));
    assert!(colours > 10, "PNG looks blank: {colours} colours");

    let bars = BarPlot {
        title: "Success rate check".into(),
        y_label: "success".into(),
        groups: vec![
            BarGroup {
                label: "2-2-1".into(),
                values: vec![("a".into(), 0.5), ("b".into(), f64::NAN)],
            },
            BarGroup {
                label: "2-4-1".into(),
                values: vec![("a".into(), 0.9), ("b".into(), 0.7)],
            },
        ],
        y_max: None,
    };
    let figure = write_bar_plot(&bars, &dir.join("nested").join("bars")).unwrap();
    let svg = std::fs::read_to_string(&figure.svg).unwrap();
    assert!(svg.contains("Success rate check"));
    assert!(svg.contains("2-4-1"));
    let (w, h, colours) = decode_png(&figure.png);
    assert_eq!((w, h), (FIGURE_WIDTH, FIGURE_HEIGHT));
    assert!(colours > 10, "PNG looks blank: {colours} colours");

    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_gives_typed_errors() {
    let dir = temp_folder("errors");
    let mismatched = LinePlot {
        title: "t".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        curves: vec![Curve {
            label: "short".into(),
            x: vec![1.0, 2.0],
            y: vec![1.0],
            band: None,
        }],
    };
    assert!(matches!(
        write_line_plot(&mismatched, &dir.join("a")),
        Err(PlotError::LengthMismatch { .. })
    ));
    let nothing = LinePlot {
        curves: vec![Curve {
            label: "nan".into(),
            x: vec![1.0, 2.0],
            y: vec![f64::NAN, -1.0],
            band: None,
        }],
        y_scale: Scale::Log10,
        ..mismatched
    };
    assert!(matches!(
        write_line_plot(&nothing, &dir.join("b")),
        Err(PlotError::NoDrawablePoints { .. })
    ));
    let no_bars = BarPlot {
        title: "t".into(),
        y_label: "y".into(),
        groups: vec![],
        y_max: None,
    };
    assert!(matches!(
        write_bar_plot(&no_bars, &dir.join("c")),
        Err(PlotError::NoDrawablePoints { .. })
    ));
    assert!(!dir.join("a.svg").exists() && !dir.join("b.png").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_heat_map_writes_every_cell_and_refuses_a_ragged_grid() {
    let dir = temp_folder("heat");
    let map = HeatMap {
        title: "Grid check".into(),
        x_label: "eta".into(),
        y_label: "sigma".into(),
        x_values: vec!["0.001".into(), "0.01".into(), "0.1".into()],
        y_values: vec!["0.01".into(), "0.1".into()],
        cells: vec![vec![0.5, 0.0123, 2.0], vec![f64::INFINITY, 0.04, 0.9]],
    };
    let fig = write_heat_map(&map, &dir.join("grid")).expect("writes");
    let svg = std::fs::read_to_string(&fig.svg).expect("svg written");
    for text in ["Grid check", "eta", "sigma", "0.0123", "div."] {
        assert!(svg.contains(text), "{text} missing from the SVG");
    }
    let (w, h, colours) = decode_png(&fig.png);
    assert_eq!((w, h), (FIGURE_WIDTH, FIGURE_HEIGHT));
    // Five coloured cells, a grey one, text and white.
    assert!(colours > 6, "{colours} colours");
    let ragged = HeatMap {
        cells: vec![vec![1.0; 3], vec![1.0; 2]],
        ..map.clone()
    };
    assert!(matches!(
        write_heat_map(&ragged, &dir.join("ragged")),
        Err(PlotError::LengthMismatch { .. })
    ));
    let empty = HeatMap {
        x_values: vec![],
        cells: vec![vec![], vec![]],
        ..map
    };
    assert!(matches!(
        write_heat_map(&empty, &dir.join("empty")),
        Err(PlotError::NoDrawablePoints { .. })
    ));
}
