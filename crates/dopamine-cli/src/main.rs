//! `dopamine`: one-step forecasts of your own time series from the command line — `fit` one optimizer, `predict` a file with the fitted model, `compare` optimizers by the lab's fair-tuning protocol — on the `dopamine-forecast` protocol and the `dopamine-train` registry.
//!
//! ```text
//! dopamine fit series.csv --optimizer dopamine1 --passes 20000 --out fit/
//! dopamine predict fit/ new.csv --out predictions.csv
//! dopamine compare series.csv --optimizers adam,openes,dopamine1 --out cmp/
//! ```
//!
//! Exit codes: 0 success, 2 a usage error (an unknown optimizer, setting
//! or column, a bad option), 1 a runtime error (a missing or malformed
//! file, a series too short for the split, a failed run). Errors go to
//! standard error and name the file, line and column at fault.

mod args;
mod checkpoints;
mod compare;
mod data;
mod error;
mod figures;
mod fit;
mod model;
mod optimizers;
mod output;
mod predict;
mod progress;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use dopamine_forecast::Defaults;
use dopamine_train::OptimizerKind;

use crate::args::{Cli, Command};
use crate::error::CliError;

/// The git revision the binary was built from (`unknown` outside a
/// repository), as every summary records it.
pub const REVISION: &str = env!("DOPAMINE_REVISION");

/// `--version`: the crate's version and the revision.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (revision ",
    env!("DOPAMINE_REVISION"),
    ")"
);

/// `dopamine optimizers`: each optimizer, what it is, and the settings
/// `fit` starts from.
fn list_optimizers() -> Result<(), CliError> {
    let defaults = Defaults::builtin();
    for kind in OptimizerKind::ALL {
        let (spec, options) = optimizers::configure(kind, &defaults, None, &[])?;
        let grid = if defaults.grid(kind).is_some() {
            "default tuning grid: yes"
        } else {
            "default tuning grid: none"
        };
        println!(
            "{} ({}): {}\n  starts from {} {}\n  {grid}\n",
            kind.tag(),
            kind.name(),
            optimizers::about(kind),
            serde_json::to_string(&spec).unwrap_or_default(),
            serde_json::to_string(&options).unwrap_or_default(),
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let listing = format!("Optimizers (--optimizer NAME):\n{}", optimizers::listing());
    let command = Cli::command()
        .after_help(listing.clone())
        .mut_subcommand("fit", |c| c.after_help(listing.clone()))
        .mut_subcommand("compare", |c| c.after_help(listing.clone()));
    let cli = match Cli::from_arg_matches(&command.get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let result = match &cli.command {
        Command::Fit(a) => fit::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Optimizers => list_optimizers(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
