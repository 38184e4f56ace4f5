//! `reproduce`: a loop over the one list of experiments — read every config, run (or resume) each experiment, then write its data, figures, report section and summary, and judge the claims.

use std::fs;
use std::time::Instant;

use dopamine_meter::CountingAllocator;

use super::options::ReproduceOptions;
use super::report::report_markdown;
use super::summary::Summary;
use crate::claims::{CLAIMS, Evidence};
use crate::error::BenchError;
use crate::experiments::{EXPERIMENTS, Session};
use crate::machine::MachineInfo;
use crate::output::write_file;
use crate::reproduce_state::StageStore;

/// Runs every experiment of [`EXPERIMENTS`] and writes the outputs under
/// `opts.out_dir`: `report.md`, `summary.json`, `curves/` and `figures/`.
/// `meter` is the counting allocator when the binary installed one (E4
/// then reports measured peak heap).
pub fn reproduce(
    opts: &ReproduceOptions,
    meter: Option<&CountingAllocator>,
) -> Result<Summary, BenchError> {
    let start = Instant::now();
    // Every config is read and checked before anything runs.
    let prepared = EXPERIMENTS
        .iter()
        .map(|e| e.prepare(opts.configs_dir.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    let out = &opts.out_dir;
    for sub in ["curves", "figures"] {
        let dir = out.join(sub);
        fs::create_dir_all(&dir).map_err(BenchError::io(&dir))?;
    }
    // Detected before anything is written, so the revision is the code's,
    // not dirtied by this run's own output.
    let machine = MachineInfo::detect();
    let state = StageStore::new(out, opts.mode, opts.resume, &machine.git_revision)?;
    let session = Session {
        mode: opts.mode,
        meter,
        state: &state,
        started: start,
    };
    let outcomes = prepared
        .into_iter()
        .map(|p| p.run(&session))
        .collect::<Result<Vec<_>, _>>()?;

    let mut evidence = Evidence::default();
    for o in &outcomes {
        o.evidence(&mut evidence);
    }
    let claims = CLAIMS.iter().map(|claim| claim(&evidence)).collect();
    let robustness = outcomes.iter().flat_map(|o| o.robustness()).collect();
    for o in &outcomes {
        o.write_data(out)?;
    }
    let mut figures = Vec::new();
    for o in &outcomes {
        figures.extend(o.write_figures(out)?);
    }
    let mut summary = Summary {
        mode: opts.mode,
        command: opts.command.clone(),
        machine,
        seconds: start.elapsed().as_secs_f64(),
        resumed: state.resumed(),
        claims,
        robustness,
        xor: Vec::new(),
        forecasts: Vec::new(),
        cost_by_hidden: Vec::new(),
        cost_by_seq_len: Vec::new(),
        scaling: Vec::new(),
    };
    for o in &outcomes {
        o.summarize(&mut summary);
    }
    let json = serde_json::to_string_pretty(&summary)
        .map_err(|e| BenchError::Setup(format!("summary.json: {e}")))?;
    write_file(&out.join("summary.json"), json)?;
    let sections: Vec<String> = outcomes
        .iter()
        .map(|o| o.report_section(opts.mode))
        .collect();
    write_file(
        &out.join("report.md"),
        report_markdown(&summary, &sections, &figures),
    )?;
    Ok(summary)
}
