//! Draws a log-scale line plot with seed bands, a grouped bar chart and a log-log plot into a folder (`target/plot_demo/` by default): `cargo run -p dopamine-plot --example plot_demo [-- FOLDER]`.

use std::path::PathBuf;

use dopamine_plot::{
    Band, BarGroup, BarPlot, Curve, LinePlot, Scale, write_bar_plot, write_line_plot,
};

/// A made-up loss curve that decays at `rate` towards `floor`, with a band of `spread`.
fn loss_curve(label: &str, rate: f64, floor: f64, spread: f64) -> Curve {
    let x: Vec<f64> = (0..=200).map(|i| f64::from(i) * 50.0).collect();
    let y: Vec<f64> = x.iter().map(|s| floor + (-rate * s).exp()).collect();
    let band = Band {
        lo: y.iter().map(|v| v / (1.0 + spread)).collect(),
        hi: y.iter().map(|v| v * (1.0 + spread)).collect(),
    };
    Curve {
        label: label.to_string(),
        x,
        y,
        band: Some(band),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/plot_demo"), PathBuf::from);
    let line = LinePlot {
        title: "Training loss on 2-4-1 XOR (median, 25th-75th percentile over 10 seeds)".into(),
        x_label: "step".into(),
        y_label: "mean squared error".into(),
        x_scale: Scale::Linear,
        y_scale: Scale::Log10,
        curves: vec![
            loss_curve("Dopamine", 8e-4, 1e-4, 0.6),
            loss_curve("SPSA", 3e-4, 3e-3, 0.4),
            loss_curve("random search", 1e-4, 2e-2, 0.3),
        ],
    };
    let figure = write_line_plot(&line, &out.join("loss_vs_step"))?;
    println!(
        "wrote {} and {}",
        figure.svg.display(),
        figure.png.display()
    );

    let optimizers = ["Dopamine", "SPSA", "random search"];
    let bars = BarPlot {
        title: "XOR success rate (100 seeds)".into(),
        y_label: "fraction of seeds solved".into(),
        groups: [("2-2-1", [0.71, 0.52, 0.18]), ("2-4-1", [0.97, 0.81, 0.35])]
            .into_iter()
            .map(|(task, rates)| BarGroup {
                label: task.to_string(),
                values: optimizers
                    .iter()
                    .zip(rates)
                    .map(|(name, rate)| (name.to_string(), rate))
                    .collect(),
            })
            .collect(),
        y_max: Some(1.1),
    };
    let figure = write_bar_plot(&bars, &out.join("xor_success"))?;
    println!(
        "wrote {} and {}",
        figure.svg.display(),
        figure.png.display()
    );

    // Log-log with a gap (NaN) and a non-positive value, both skipped.
    let hidden: Vec<f64> = [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0].to_vec();
    let mut with_gap: Vec<f64> = hidden.iter().map(|h| 2e-6 * h * h).collect();
    with_gap[3] = f64::NAN;
    with_gap[5] = 0.0;
    let timing = LinePlot {
        title: "Time per step vs hidden size".into(),
        x_label: "hidden units".into(),
        y_label: "seconds per step".into(),
        x_scale: Scale::Log10,
        y_scale: Scale::Log10,
        curves: vec![
            Curve {
                label: "Dopamine".into(),
                x: hidden.clone(),
                y: hidden.iter().map(|h| 1e-6 * h * h).collect(),
                band: None,
            },
            Curve {
                label: "SPSA (two runs missing)".into(),
                x: hidden,
                y: with_gap,
                band: None,
            },
        ],
    };
    let figure = write_line_plot(&timing, &out.join("time_vs_hidden"))?;
    println!(
        "wrote {} and {}",
        figure.svg.display(),
        figure.png.display()
    );
    Ok(())
}
