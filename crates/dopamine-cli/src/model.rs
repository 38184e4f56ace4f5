//! The fitted model file (`model.dpm`): the network's weights in the precision it trained in, the z-score of the training part, the columns and the settings, sealed in the project's checked state format (magic, version, length, CRC-32 around bincode) so a damaged file is refused, never misread.

use std::path::Path;

use dopamine_forecast::ForecastSettings;
use dopamine_nets::Rnn;
use dopamine_tasks::{ColumnRef, NormalizationMethod, Normalizer};
use dopamine_train::{Float, decode_state, encode_state};
use serde::{Deserialize, Serialize};

use crate::error::{CliError, io_error};

/// The name of the model file in a `fit` folder.
pub const MODEL_FILE: &str = "model.dpm";

/// What this build writes in [`FittedModel::format`].
pub const MODEL_FORMAT: &str = "dopamine-cli model 1";

/// The network's weights, in the precision it trained in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Weights {
    /// Trained in `f32`.
    F32(Vec<f32>),
    /// Trained in `f64`.
    F64(Vec<f64>),
}

/// Everything `predict` needs to forecast a new file as `fit` would have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedModel {
    /// [`MODEL_FORMAT`].
    pub format: String,
    /// The columns, by header name (`None`: the file had no header, and
    /// they are named by position).
    pub header: Option<Vec<String>>,
    /// The columns' positions in the training file (0-based).
    pub positions: Vec<usize>,
    /// The protocol's settings (split, hidden units, washout).
    pub settings: ForecastSettings,
    /// The optimizer and its settings, as a config writes them (JSON).
    pub optimizer: String,
    /// Its options (JSON).
    pub options: String,
    /// The z-score of the training part: the mean of each column.
    pub offset: Vec<f64>,
    /// The z-score of the training part: the standard deviation of each column.
    pub scale: Vec<f64>,
    /// The weights.
    pub weights: Weights,
}

impl FittedModel {
    /// The columns to read from a new file: the same names, or the same
    /// positions when the training file had no header.
    pub fn columns(&self) -> Vec<ColumnRef> {
        match &self.header {
            Some(names) => names.iter().cloned().map(ColumnRef::Name).collect(),
            None => self
                .positions
                .iter()
                .copied()
                .map(ColumnRef::Position)
                .collect(),
        }
    }

    /// The z-score it was trained with.
    ///
    /// # Errors
    /// A runtime error for parts that are not a z-score (a damaged file).
    pub fn normalizer(&self) -> Result<Normalizer, CliError> {
        Normalizer::from_parts(
            NormalizationMethod::ZScore,
            self.offset.clone(),
            self.scale.clone(),
        )
        .map_err(|e| CliError::runtime(format!("the model's z-score: {e}")))
    }

    /// The network in `T`, from `params`.
    ///
    /// # Errors
    /// A runtime error when the weights do not fit the shape.
    pub fn network<T: Float>(&self, params: &[T]) -> Result<Rnn<T>, CliError> {
        let d = self.offset.len();
        Rnn::from_params(d, self.settings.hidden, d, params)
            .map_err(|e| CliError::runtime(format!("the model's weights: {e}")))
    }

    /// Writes the model to `path`.
    ///
    /// # Errors
    /// A runtime error naming the path.
    pub fn save(&self, path: &Path) -> Result<(), CliError> {
        let bytes = encode_state(self)
            .map_err(|e| CliError::runtime(format!("cannot encode the model: {e}")))?;
        std::fs::write(path, bytes).map_err(|e| io_error(path, "write", &e))
    }

    /// Reads a model from `path`: a file, or a `fit` folder holding
    /// [`MODEL_FILE`].
    ///
    /// # Errors
    /// A runtime error naming the path: missing, damaged, or of another format.
    pub fn load(path: &Path) -> Result<FittedModel, CliError> {
        let file = if path.is_dir() {
            path.join(MODEL_FILE)
        } else {
            path.to_path_buf()
        };
        let bytes = std::fs::read(&file).map_err(|e| io_error(&file, "read the model", &e))?;
        let model: FittedModel = decode_state(&bytes).map_err(|e| {
            CliError::runtime(format!(
                "`{}` is not a model written by `dopamine fit`: {e}",
                file.display()
            ))
        })?;
        if model.format != MODEL_FORMAT {
            return Err(CliError::runtime(format!(
                "`{}` is a `{}`; this build reads `{MODEL_FORMAT}`",
                file.display(),
                model.format
            )));
        }
        Ok(model)
    }
}

/// Weights of `T` as [`Weights`].
pub fn weights<T: Float>(params: &[T]) -> Weights {
    if T::type_name() == "f32" {
        Weights::F32(params.iter().map(|w| w.to_f64() as f32).collect())
    } else {
        Weights::F64(params.iter().map(|w| w.to_f64()).collect())
    }
}
