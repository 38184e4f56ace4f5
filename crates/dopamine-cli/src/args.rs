//! The command line's grammar (clap derive): `dopamine fit`, `dopamine predict`, `dopamine compare`, `dopamine optimizers`, and the options they share.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// One-step forecasts of your own time series (a CSV file) with the Dopamine
/// optimizers and their peers: an Elman RNN trained one step ahead,
/// z-scored on the training part, scored by NRMSE on the test part against
/// persistence (next value = last value).
#[derive(Debug, Parser)]
#[command(name = "dopamine", version = crate::VERSION, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train one optimizer on a series; write the model, its scores and its
    /// test predictions to a folder.
    Fit(FitArgs),
    /// Forecast a file one step ahead with a fitted model.
    Predict(PredictArgs),
    /// Compare optimizers fairly on a series: each tuned on the validation
    /// part over an equal-size grid, scored on the test part over seeds,
    /// persistence beside them.
    Compare(CompareArgs),
    /// List the optimizers, their settings and their defaults.
    Optimizers,
}

/// The parameter type a run trains in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Precision {
    /// 32-bit floats (the lab's default: about twice as fast).
    F32,
    /// 64-bit floats.
    F64,
}

impl Precision {
    /// `"f32"` or `"f64"`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }
}

/// The data and the protocol's settings, shared by `fit` and `compare`.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// The series: a CSV file, one row per time step, an optional header
    /// line.
    pub data: PathBuf,
    /// The columns to model, by header name or position (from 1),
    /// comma-separated [default: every column].
    #[arg(long, value_name = "A,B")]
    pub columns: Option<String>,
    /// Fractions of the rows for the training, validation and test parts,
    /// in time order [default: 0.5,0.2,0.3].
    #[arg(long, value_name = "TRAIN,VAL[,TEST]")]
    pub split: Option<String>,
    /// Hidden units of the RNN [default: 16].
    #[arg(long, value_name = "H")]
    pub hidden: Option<usize>,
    /// Leading training steps left out of the loss [default: 50].
    #[arg(long, value_name = "STEPS")]
    pub washout: Option<usize>,
    /// The parameter type to train in.
    #[arg(long, value_enum, default_value_t = Precision::F32)]
    pub precision: Precision,
    /// The folder to write to (created; refused if it holds files, unless
    /// --force).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write into --out even if it holds files (they may be replaced).
    #[arg(long)]
    pub force: bool,
}

/// `dopamine fit`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// The data, the protocol and the output folder.
    #[command(flatten)]
    pub data: DataArgs,
    /// The optimizer, by name (see `dopamine optimizers`).
    #[arg(long, value_name = "NAME", default_value = "dopamine1")]
    pub optimizer: String,
    /// Override one setting or option of the optimizer (repeatable); its
    /// starting point is the base of its default tuning grid.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// A JSON file of settings and options for the optimizer (applied
    /// before --set).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Training budget in forward-pass equivalents [default: 20000].
    #[arg(long, value_name = "N")]
    pub passes: Option<u64>,
    /// Training budget in wall-clock seconds instead of passes. The length
    /// of the optimizer's schedule comes from the rate of a short probe run
    /// (50 steps, not counted), so a time-budgeted run is not repeatable bit
    /// for bit.
    #[arg(long, value_name = "S", conflicts_with = "passes")]
    pub seconds: Option<f64>,
    /// Seed of the initial weights and of the optimizer's noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Continue the run saved in --out's checkpoints (after Ctrl-C or a
    /// crash); give the same command as the run that wrote them.
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
}

/// `dopamine predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A fitted model: the folder `dopamine fit` wrote, or its model.dpm.
    pub model: PathBuf,
    /// The series to forecast (the model's columns, found by name, or by
    /// position when the training file had no header).
    pub data: PathBuf,
    /// Write the predictions to this CSV file [default: standard output].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Read these columns instead of the model's, by header name or
    /// position (from 1), as many as the model has, in its order.
    #[arg(long, value_name = "A,B")]
    pub columns: Option<String>,
    /// Replace --out if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `dopamine compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The data, the protocol and the output folder.
    #[command(flatten)]
    pub data: DataArgs,
    /// The optimizers to compare, comma-separated [default: every one with a
    /// default tuning grid].
    #[arg(long, value_name = "A,B")]
    pub optimizers: Option<String>,
    /// Evaluation seeds (0..K) per optimizer [default: 3].
    #[arg(long, value_name = "K")]
    pub seeds: Option<u64>,
    /// Tuning seeds per grid cell (its score is the median over them)
    /// [default: 2].
    #[arg(long, value_name = "K")]
    pub tuning_seeds: Option<u64>,
    /// Budget of every run (tuning and evaluation) in forward-pass
    /// equivalents [default: 20000].
    #[arg(long, value_name = "N", conflicts_with = "quick")]
    pub passes: Option<u64>,
    /// The quick budget (1200 passes per run) instead of the full one.
    #[arg(long)]
    pub quick: bool,
    /// Continue a comparison stopped part way in --out: the optimizers it
    /// finished are read back, not run again. Give the same command.
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
}

impl DataArgs {
    /// The protocol's settings: the defaults (the lab's E2 settings) with
    /// `--split`, `--hidden` and `--washout` applied.
    ///
    /// # Errors
    /// A usage error for a bad split or zero hidden units.
    pub fn settings(
        &self,
        defaults: &dopamine_forecast::Defaults,
    ) -> Result<dopamine_forecast::ForecastSettings, crate::error::CliError> {
        let mut settings = defaults.settings();
        if let Some(split) = &self.split {
            (settings.train_fraction, settings.validation_fraction) =
                crate::data::parse_split(split)?;
        }
        if let Some(h) = self.hidden {
            if h == 0 {
                return Err(crate::error::CliError::usage("--hidden must be at least 1"));
            }
            settings.hidden = h;
        }
        if let Some(w) = self.washout {
            settings.washout = w;
        }
        Ok(settings)
    }
}
