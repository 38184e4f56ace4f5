//! The `dopamine` binary run for real on small generated series: fit then predict round trip, better than persistence on an easy series, compare's table, determinism, and a table of bad inputs (exit code and a message naming the problem, never a panic).

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// A sine of period 25 samples plus a slower one, `rows` rows, with a
/// header (`time,value,other`) and a non-numeric time column.
fn sine_csv(dir: &Path, rows: usize) -> PathBuf {
    let mut text = String::from("time,value,other\n");
    for t in 0..rows {
        let x = t as f64;
        let value = (x * std::f64::consts::TAU / 25.0).sin()
            + 0.3 * (x * std::f64::consts::TAU / 61.0).sin();
        text.push_str(&format!("t{t},{value},{}\n", 0.01 * x));
    }
    let path = dir.join("sine.csv");
    fs::write(&path, text).expect("writes the series");
    path
}

fn dopamine() -> Command {
    Command::cargo_bin("dopamine").expect("the binary is built")
}

/// Small, fast settings shared by the tests that train.
const SMALL: [&str; 4] = ["--hidden", "8", "--washout", "10"];

/// `dopamine fit` of the `value` column into `out` with `optimizer` for
/// `passes`.
fn fit(
    data: &Path,
    out: &Path,
    optimizer: &str,
    passes: &str,
    extra: &[&str],
) -> std::process::Output {
    dopamine()
        .arg("fit")
        .arg(data)
        .args([
            "--columns",
            "value",
            "--optimizer",
            optimizer,
            "--passes",
            passes,
        ])
        .args(SMALL)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("runs")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).expect("reads")).expect("is JSON")
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn fit_beats_persistence_and_predict_gives_back_its_predictions() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sine_csv(tmp.path(), 400);
    let out = tmp.path().join("fit");
    let run = fit(&data, &out, "adam", "4000", &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    let summary = read_json(&out.join("summary.json"));
    for key in [
        "optimizer",
        "test_nrmse",
        "validation_nrmse",
        "persistence_test_nrmse",
        "passes",
        "seconds",
        "revision",
    ] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    assert_eq!(summary["optimizer"], "adam");
    assert_eq!(summary["columns"], serde_json::json!(["value"]));
    let test = summary["test_nrmse"].as_f64().unwrap();
    let floor = summary["persistence_test_nrmse"].as_f64().unwrap();
    assert!(
        test < 0.5 * floor,
        "test NRMSE {test} vs persistence {floor}"
    );
    assert!(summary["passes"].as_u64().unwrap() >= 4000);

    // Progress as plain lines (no terminal here): a few, not a flood, the
    // last at 100%.
    let progress: Vec<String> = stderr(&run)
        .lines()
        .filter(|l| l.starts_with("Adam:"))
        .map(str::to_string)
        .collect();
    assert!(
        (2..=12).contains(&progress.len()),
        "progress lines: {progress:?}"
    );
    assert!(
        progress.last().unwrap().contains("100% 4000/4000 passes"),
        "{progress:?}"
    );
    // The figures, as SVG and PNG.
    for stem in ["loss", "predictions"] {
        assert_figure(&out, stem);
    }

    // predictions.csv: the test part (rows 281..=400), in the data's units.
    let fitted = fs::read_to_string(out.join("predictions.csv")).unwrap();
    let lines: Vec<&str> = fitted.lines().collect();
    assert_eq!(lines[0], "row,value,value_predicted");
    assert_eq!(lines.len(), 1 + 120);
    assert!(lines[1].starts_with("281,"), "{}", lines[1]);

    // predict on the same file: every row from the second, and the test
    // rows exactly as fit wrote them (the same weights, z-score, context).
    let pred = dopamine()
        .arg("predict")
        .arg(&out)
        .arg(&data)
        .output()
        .unwrap();
    assert!(pred.status.success(), "{}", stderr(&pred));
    let text = String::from_utf8(pred.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 1 + 399);
    assert_eq!(rows[0], lines[0]);
    assert_eq!(&rows[rows.len() - 120..], &lines[1..]);
    // The predictions are in the data's units: close to the targets.
    let (mut err, mut n) = (0.0, 0.0);
    for line in &lines[1..] {
        let f: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        err += (f[1] - f[2]).powi(2);
        n += 1.0;
    }
    assert!((err / n).sqrt() < 0.2, "RMSE {}", (err / n).sqrt());

    // Written to a file, and refused over it without --force.
    let file = tmp.path().join("p.csv");
    let again = |force: bool| {
        let mut c = dopamine();
        c.arg("predict")
            .arg(&out)
            .arg(&data)
            .arg("--out")
            .arg(&file);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };
    assert!(again(false).status.success());
    assert_eq!(fs::read_to_string(&file).unwrap(), text);
    let refused = again(false);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("p.csv"), "{}", stderr(&refused));
    assert!(again(true).status.success());
}

/// `dir/stem.svg` is an SVG document and `dir/stem.png` a PNG file.
fn assert_figure(dir: &Path, stem: &str) {
    let svg = fs::read_to_string(dir.join(format!("{stem}.svg"))).expect("the SVG figure");
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{stem}.svg: {}",
        &svg[..svg.len().min(80)]
    );
    assert!(
        svg.trim_end().ends_with("</svg>"),
        "{stem}.svg is cut short"
    );
    let png = fs::read(dir.join(format!("{stem}.png"))).expect("the PNG figure");
    assert!(png.len() > 1000, "{stem}.png has {} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{stem}.png is not a PNG");
}

#[test]
fn a_seconds_budget_trains_for_about_that_long() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sine_csv(tmp.path(), 300);
    let out = tmp.path().join("fit");
    let run = dopamine()
        .arg("fit")
        .arg(&data)
        .args([
            "--columns",
            "value",
            "--optimizer",
            "adam",
            "--seconds",
            "0.5",
        ])
        .args(SMALL)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let summary = read_json(&out.join("summary.json"));
    let seconds = summary["seconds"].as_f64().unwrap();
    assert!((0.5..1.5).contains(&seconds), "trained {seconds} s for 0.5");
    assert!(summary["passes"].as_u64().unwrap() > 0);
    assert_eq!(summary["budget"]["seconds"], 0.5);
    // Neither both budgets nor a non-positive one.
    for bad in [
        &["--seconds", "1", "--passes", "10"][..],
        &["--seconds", "0"][..],
        &["--seconds", "nan"][..],
    ] {
        let refused = dopamine()
            .arg("fit")
            .arg(&data)
            .args(bad)
            .arg("--out")
            .arg(tmp.path().join("no"))
            .output()
            .unwrap();
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{bad:?}: {}",
            stderr(&refused)
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sine_csv(tmp.path(), 300);
    let dirs: Vec<PathBuf> = ["a", "b", "c"].iter().map(|d| tmp.path().join(d)).collect();
    for (dir, seed) in dirs.iter().zip(["1", "1", "2"]) {
        let run = fit(&data, dir, "dopamine1", "2000", &["--seed", seed]);
        assert!(run.status.success(), "{}", stderr(&run));
    }
    for file in ["model.dpm", "predictions.csv"] {
        let bytes: Vec<Vec<u8>> = dirs
            .iter()
            .map(|d| fs::read(d.join(file)).unwrap())
            .collect();
        assert_eq!(
            bytes[0], bytes[1],
            "{file} differs between two runs of seed 1"
        );
        assert_ne!(bytes[0], bytes[2], "{file} is the same for seeds 1 and 2");
    }
}

#[test]
fn compare_tables_every_requested_optimizer_beside_persistence() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sine_csv(tmp.path(), 300);
    let out = tmp.path().join("cmp");
    let run = dopamine()
        .arg("compare")
        .arg(&data)
        .args(["--columns", "2", "--optimizers", "adam,Dopamine-1,openes"])
        .args(["--seeds", "2", "--tuning-seeds", "1", "--passes", "300"])
        .args(SMALL)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let table = String::from_utf8(run.stdout).unwrap();
    for name in [
        "| Adam |",
        "| Dopamine-1 |",
        "| OpenES |",
        "| persistence |",
    ] {
        assert!(table.contains(name), "{name} missing from\n{table}");
    }
    assert!(!table.contains("| SNES |"), "{table}");
    let report = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("| Dopamine-1 |"), "{report}");
    assert!(report.contains("(nrmse.svg)"), "{report}");
    assert_figure(&out, "nrmse");
    let summary = read_json(&out.join("summary.json"));
    let tags: Vec<&str> = summary["optimizers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["optimizer"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["adam", "dopamine1", "openes"]);
    for o in summary["optimizers"].as_array().unwrap() {
        assert_eq!(o["test_nrmse"].as_array().unwrap().len(), 2);
        assert_eq!(o["grid"].as_array().unwrap().len(), 12, "equal-size grids");
        assert!(o["test_nrmse_median"].is_number() || o["test_nrmse_median"].is_null());
    }
}

#[test]
fn help_lists_every_optimizer_and_version_names_the_revision() {
    let help = dopamine().arg("fit").arg("--help").output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    for tag in [
        "wp",
        "openes",
        "snes",
        "dopamine1",
        "dopamine2",
        "sgd",
        "adam",
    ] {
        assert!(text.contains(&format!("  {tag} ")), "{tag} not in\n{text}");
    }
    let version = dopamine().arg("--version").output().unwrap();
    assert!(version.status.success());
    assert!(
        String::from_utf8(version.stdout)
            .unwrap()
            .contains("revision")
    );
    assert_eq!(dopamine().output().unwrap().status.code(), Some(2));
}

/// One bad input: the arguments after `fit` (with `{data}` and `{out}`
/// replaced), the file's text, the exit code and what stderr must say.
struct Bad {
    name: &'static str,
    csv: &'static str,
    args: &'static [&'static str],
    code: i32,
    says: &'static [&'static str],
}

#[test]
fn bad_inputs_exit_with_a_message_naming_the_problem() {
    let good = "a,b\n1,2\n2,3\n3,5\n4,4\n5,1\n6,0\n7,2\n8,3\n9,1\n10,2\n";
    let cases = [
        Bad {
            name: "missing file",
            csv: "",
            args: &["{dir}/nope.csv"],
            code: 1,
            says: &["nope.csv"],
        },
        Bad {
            name: "non-numeric cell",
            csv: "a,b\n1,2\n2,x3\n3,4\n",
            args: &["{data}"],
            code: 1,
            says: &["data.csv", "line 3", "column 2", "x3"],
        },
        Bad {
            name: "infinite value",
            csv: "a\n1\ninf\n",
            args: &["{data}"],
            code: 1,
            says: &["data.csv", "line 3", "not finite"],
        },
        Bad {
            name: "unknown column",
            csv: good,
            args: &["{data}", "--columns", "c"],
            code: 2,
            says: &["data.csv", "`c`", "a, b"],
        },
        Bad {
            name: "unknown optimizer",
            csv: good,
            args: &["{data}", "--optimizer", "rmsprop"],
            code: 2,
            says: &["rmsprop", "adam", "dopamine1"],
        },
        Bad {
            name: "unknown setting",
            csv: good,
            args: &["{data}", "--optimizer", "adam", "--set", "sigma=0.1"],
            code: 2,
            says: &["sigma"],
        },
        Bad {
            name: "setting out of range",
            csv: good,
            args: &["{data}", "--optimizer", "wp", "--set", "sigma=-1"],
            code: 2,
            says: &["sigma"],
        },
        Bad {
            name: "series too short",
            csv: good,
            args: &["{data}"],
            code: 1,
            says: &["data.csv", "10 rows", "washout"],
        },
        Bad {
            name: "constant column",
            csv: "a,b\n1,5\n2,5\n3,5\n4,5\n5,5\n6,5\n7,5\n8,5\n9,5\n10,6\n11,5\n12,4\n",
            args: &["{data}", "--washout", "1", "--split", "0.5,0.25"],
            code: 1,
            says: &["data.csv", "`b`", "constant"],
        },
        Bad {
            name: "bad split",
            csv: good,
            args: &["{data}", "--split", "0.8,0.3"],
            code: 2,
            says: &["--split"],
        },
        Bad {
            name: "bad precision",
            csv: good,
            args: &["{data}", "--precision", "f16"],
            code: 2,
            says: &["f16"],
        },
        Bad {
            name: "out holds files",
            csv: good,
            args: &["{data}", "--washout", "1", "--out", "{dir}"],
            code: 2,
            says: &["--force"],
        },
    ];
    for case in cases {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data.csv");
        fs::write(&data, case.csv).unwrap();
        let dir = tmp.path().display().to_string();
        let out = tmp.path().join("out").display().to_string();
        let mut args: Vec<String> = case
            .args
            .iter()
            .map(|a| {
                a.replace("{data}", &data.display().to_string())
                    .replace("{dir}", &dir)
            })
            .collect();
        if !args.iter().any(|a| a == "--out") {
            args.extend(["--out".to_string(), out]);
        }
        let run = dopamine()
            .arg("fit")
            .args(&args)
            .args(["--passes", "50"])
            .output()
            .unwrap();
        let err = stderr(&run);
        assert_eq!(run.status.code(), Some(case.code), "{}: {err}", case.name);
        assert!(!err.contains("panicked"), "{}: {err}", case.name);
        for s in case.says {
            assert!(err.contains(s), "{}: `{s}` not in: {err}", case.name);
        }
    }
}

#[test]
fn predict_refuses_a_damaged_model_and_a_file_without_its_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sine_csv(tmp.path(), 200);
    let out = tmp.path().join("fit");
    let run = fit(&data, &out, "adam", "100", &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    let other = tmp.path().join("other.csv");
    fs::write(&other, "x,y\n1,2\n3,4\n").unwrap();
    let wrong = dopamine()
        .arg("predict")
        .arg(&out)
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
    assert!(stderr(&wrong).contains("`value`"), "{}", stderr(&wrong));
    // Named instead: the count must match the model's.
    let by_name = |columns: &str| {
        dopamine()
            .arg("predict")
            .arg(&out)
            .arg(&other)
            .args(["--columns", columns])
            .output()
            .unwrap()
    };
    let ok = by_name("y");
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        String::from_utf8(ok.stdout)
            .unwrap()
            .starts_with("row,y,y_predicted\n2,4,")
    );
    let two = by_name("x,y");
    assert_eq!(two.status.code(), Some(2));
    assert!(
        stderr(&two).contains("the model reads 1"),
        "{}",
        stderr(&two)
    );
    // A flipped byte is refused by the checksum, naming the file.
    let model = out.join("model.dpm");
    let mut bytes = fs::read(&model).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&model, bytes).unwrap();
    let damaged = dopamine()
        .arg("predict")
        .arg(&out)
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(damaged.status.code(), Some(1));
    assert!(
        stderr(&damaged).contains("model.dpm"),
        "{}",
        stderr(&damaged)
    );
    assert!(!stderr(&damaged).contains("panicked"));
}

#[test]
fn ctrl_c_saves_a_checkpoint_and_resume_finishes_bit_for_bit() {
    use std::io::{BufRead, BufReader};
    let tmp = tempfile::tempdir().unwrap();
    let data = sine_csv(tmp.path(), 300);
    let (stopped, whole) = (tmp.path().join("stopped"), tmp.path().join("whole"));
    let command = |out: &Path| {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("dopamine"));
        c.arg("fit")
            .arg(&data)
            .args(["--columns", "value", "--optimizer", "dopamine1"])
            .args(["--passes", "100000", "--seed", "3"])
            .args(SMALL)
            .arg("--out")
            .arg(out);
        c
    };
    // Interrupted once its first progress line (10% of the budget) is out.
    let mut child = command(&stopped)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("10%"), "{first}");
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest:?}");
    let message = rest.join("\n");
    assert!(message.contains("interrupted at step"), "{message}");
    assert!(message.contains("--resume"), "{message}");
    assert!(!stopped.join("model.dpm").exists());
    let saved: Vec<_> = fs::read_dir(stopped.join("checkpoints"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".dpck"))
        .collect();
    assert_eq!(saved.len(), 1);

    // Another run's settings are refused; the same command resumes.
    let other = command(&stopped)
        .args(["--resume", "--precision", "f64"])
        .output()
        .unwrap();
    assert_eq!(other.status.code(), Some(2), "{}", stderr(&other));
    assert!(stderr(&other).contains("another run"), "{}", stderr(&other));
    let resumed = command(&stopped).arg("--resume").output().unwrap();
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(
        stderr(&resumed).contains("resuming from"),
        "{}",
        stderr(&resumed)
    );
    let uninterrupted = command(&whole).output().unwrap();
    assert!(uninterrupted.status.success(), "{}", stderr(&uninterrupted));
    for file in ["model.dpm", "predictions.csv"] {
        assert_eq!(
            fs::read(stopped.join(file)).unwrap(),
            fs::read(whole.join(file)).unwrap(),
            "{file}: the interrupted and resumed run differs from the uninterrupted one"
        );
    }
    let (a, b) = (
        read_json(&stopped.join("summary.json")),
        read_json(&whole.join("summary.json")),
    );
    assert_eq!(a["test_nrmse"], b["test_nrmse"]);
    assert_eq!(a["passes"], b["passes"]);
    assert_eq!(a["resumed"], true);

    // Nothing to resume in an empty folder.
    let none = command(&tmp.path().join("empty"))
        .arg("--resume")
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2), "{}", stderr(&none));
    assert!(
        stderr(&none).contains("no run to resume"),
        "{}",
        stderr(&none)
    );
}

#[test]
fn compare_resume_reads_back_finished_optimizers_and_reruns_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sine_csv(tmp.path(), 300);
    let out = tmp.path().join("cmp");
    let compare = |extra: &[&str]| {
        dopamine()
            .arg("compare")
            .arg(&data)
            .args(["--columns", "value", "--optimizers", "adam,dopamine1"])
            .args(["--seeds", "2", "--tuning-seeds", "1", "--passes", "300"])
            .args(SMALL)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let first = compare(&[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let whole = read_json(&out.join("summary.json"));
    // As if it had stopped during Dopamine-1: its result and the reports gone.
    for file in ["runs/dopamine1.json", "summary.json", "report.md"] {
        fs::remove_file(out.join(file)).unwrap();
    }
    let other = compare(&["--resume", "--seeds", "3"]);
    assert_eq!(other.status.code(), Some(2), "{}", stderr(&other));
    assert!(stderr(&other).contains("seeds"), "{}", stderr(&other));
    let resumed = compare(&["--resume"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let log = stderr(&resumed);
    assert!(log.contains("Adam: finished before, read back"), "{log}");
    assert!(log.contains("Dopamine-1: tuning"), "{log}");
    assert!(!log.contains("Adam: tuning"), "{log}");
    let again = read_json(&out.join("summary.json"));
    for (a, b) in whole["optimizers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(again["optimizers"].as_array().unwrap())
    {
        assert_eq!(a["optimizer"], b["optimizer"]);
        assert_eq!(a["test_nrmse"], b["test_nrmse"]);
        assert_eq!(a["chosen"], b["chosen"]);
    }
}
