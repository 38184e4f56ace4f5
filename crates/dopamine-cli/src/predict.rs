//! `dopamine predict`: a fitted model forecasts a file one step ahead (every row from the rows before it), in the data's units, to a CSV file or standard output.

use std::io::Write as _;

use dopamine_forecast::predict_series;
use dopamine_nets::Scalar;
use dopamine_tasks::Series;

use crate::args::PredictArgs;
use crate::data;
use crate::error::{CliError, io_error};
use crate::model::{FittedModel, Weights};
use crate::output::predictions_csv;

/// Runs `dopamine predict`.
///
/// # Errors
/// A runtime error for a missing or damaged model or data file, a usage
/// error for a file without the model's columns or an existing `--out`.
pub fn run(args: &PredictArgs) -> Result<(), CliError> {
    let model = FittedModel::load(&args.model)?;
    if let Some(out) = &args.out {
        if out.exists() && !args.force {
            return Err(CliError::usage(format!(
                "--out `{}` exists; name another file, or add --force to replace it",
                out.display()
            )));
        }
    }
    let columns = match &args.columns {
        Some(list) => {
            let columns = data::parse_columns(Some(list));
            if columns.len() != model.offset.len() {
                return Err(CliError::usage(format!(
                    "--columns names {} column(s); the model reads {}",
                    columns.len(),
                    model.offset.len()
                )));
            }
            columns
        }
        None => model.columns(),
    };
    let table = data::load(&args.data, &columns)?;
    if table.series.len() < 2 {
        return Err(CliError::runtime(format!(
            "`{}`: {} row(s); one-step predictions need at least 2",
            args.data.display(),
            table.series.len()
        )));
    }
    let normalizer = model.normalizer()?;
    let normalized = normalizer
        .transform(&table.series)
        .map_err(|e| CliError::runtime(format!("`{}`: {e}", args.data.display())))?;
    let predicted = match &model.weights {
        Weights::F32(w) => predict_in(&model, w, &normalized)?,
        Weights::F64(w) => predict_in(&model, w, &normalized)?,
    };
    let Some(predicted) = predicted else {
        return Err(CliError::runtime(format!(
            "the model's predictions of `{}` are not finite",
            args.data.display()
        )));
    };
    let predicted = normalizer
        .inverse(&predicted)
        .map_err(|e| CliError::runtime(format!("undoing the z-score: {e}")))?;
    let targets = table
        .series
        .slice_rows(1, table.series.len())
        .map_err(|e| CliError::runtime(e.to_string()))?;
    let text = predictions_csv(&table.names, 1, &targets, &predicted);
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|e| io_error(path, "write", &e)),
        None => match std::io::stdout().lock().write_all(text.as_bytes()) {
            // A reader that stopped early (`| head`) wanted no more.
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::runtime(
                format!("cannot write to standard output: {e}"),
            )),
            _ => Ok(()),
        },
    }
}

/// Rows `1..` of `normalized` predicted by the model's network in `T`.
fn predict_in<T: Scalar + dopamine_train::Float>(
    model: &FittedModel,
    params: &[T],
    normalized: &Series,
) -> Result<Option<Series>, CliError> {
    let net = model.network(params)?;
    predict_series(&net, normalized, 1, normalized.len())
        .map_err(|e| CliError::runtime(format!("predicting: {e}")))
}
