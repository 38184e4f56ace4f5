//! Wall time of `dopamine compare` against the lab's E2 protocol doing the same work: the 3,000-row Mackey-Glass series of E2, Adam, OpenES, Dopamine-1 and Dopamine-2 on their default grids, 2 tuning seeds, 3 evaluation seeds, 20,000 passes per run; the two interleaved, median of the samples.
//!
//! Run: `cargo run --release -p dopamine-bench --example cli_vs_lab -- PATH/TO/dopamine [samples]`
//! (build the binary first: `cargo build --release -p dopamine-cli`; samples
//! default to 3).
//!
//! The lab side is `experiments::forecast::run` on E2's full config with
//! its optimizers cut to the four, 3 evaluation seeds, no equal-wall-time
//! runs and no ablations (it still scores free-running horizons and a test
//! curve, as E2 does). The command-line side is the binary run on the same
//! series written as a CSV file (one column, a header), with its defaults
//! (E2's settings and grids). Each sample times one lab run, then one
//! command, in the same process's window; the load average is printed with
//! each.

use std::process::Command;
use std::time::Instant;

use dopamine_bench::Mode;
use dopamine_bench::experiments::forecast::{ForecastConfig, MACKEY_GLASS_CONFIG, run};
use dopamine_bench::progress::Progress;
use dopamine_tasks::MackeyGlassConfig;

/// The optimizers compared, by registry tag.
/// (Dopamine-3 has no default grid in E2's config, so neither the lab nor
/// the command can tune it; Dopamine-2 stands in as the fourth.)
const OPTIMIZERS: [&str; 4] = ["adam", "openes", "dopamine1", "dopamine2"];

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        0.5 * (xs[n / 2 - 1] + xs[n / 2])
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let binary = args
        .next()
        .ok_or("usage: cli_vs_lab PATH/TO/dopamine [samples]")?;
    let samples: usize = args.next().map_or(Ok(3), |s| s.parse())?;
    let mut config: ForecastConfig = serde_json::from_str(MACKEY_GLASS_CONFIG)?;
    config
        .optimizers
        .retain(|c| OPTIMIZERS.contains(&c.base.kind().tag()));
    config.seeds.full = 3;
    config.seconds = None;
    config.ablations.clear();
    let rows = config.samples.get(Mode::Full);
    let raw = MackeyGlassConfig::default().generate(rows)?;
    let dir = std::env::temp_dir().join(format!("dopamine-cli-vs-lab-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("mackey_glass_3000.csv");
    let mut text = String::from("x\n");
    for t in 0..raw.len() {
        text.push_str(&format!("{}\n", raw.row(t)[0]));
    }
    std::fs::write(&csv, text)?;
    println!(
        "{rows} rows, {} optimizers, {} seeds, {} tuning seeds, {} passes per run; {samples} samples",
        config.optimizers.len(),
        config.seeds.full,
        config.tuning_seeds.full,
        config.budget.full
    );
    let (mut lab, mut cli) = (Vec::new(), Vec::new());
    for i in 0..samples {
        let start = Instant::now();
        let report = run(&config, Mode::Full, &Progress::hidden())?;
        let lab_s = start.elapsed().as_secs_f64();
        let load_lab = load();
        let start = Instant::now();
        let status = Command::new(&binary)
            .arg("compare")
            .arg(&csv)
            .args(["--optimizers", &OPTIMIZERS.join(",")])
            .arg("--out")
            .arg(dir.join("cmp"))
            .arg("--force")
            .output()?;
        let cli_s = start.elapsed().as_secs_f64();
        if !status.status.success() {
            return Err(String::from_utf8_lossy(&status.stderr).into_owned().into());
        }
        println!(
            "sample {i}: lab {lab_s:.1} s (load {load_lab}; {} optimizers), command {cli_s:.1} s (load {})",
            report.results.len(),
            load()
        );
        lab.push(lab_s);
        cli.push(cli_s);
    }
    let (l, c) = (median(lab), median(cli));
    println!(
        "median: lab {l:.1} s, command {c:.1} s, command / lab = {:.3}",
        c / l
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
