//! Experiment configs: read from a file or the built-in text, parsed with unknown fields refused, and checked; every error names the file and the field.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::BenchError;
use crate::experiments::ByMode;
use crate::experiments::tuning::{Candidate, check_grids};
use crate::reproduce_state::config_hash;

/// The floating-point type an experiment trains in (the `precision` field
/// of the experiment configs; `f32` when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// `f32`: what users of this field train in; the speed targets are in it.
    #[default]
    F32,
    /// `f64`.
    F64,
}

impl Precision {
    /// The precision of results written before the configs had the field
    /// (release 0.2.0 and the lab until issue 22 trained E1-E3 in `f64`).
    pub fn before_the_field() -> Self {
        Precision::F64
    }

    /// `f32` or `f64`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }
}

/// A config value that cannot run, by the field's path in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// Path of the field (`seeds.quick`, `optimizers[2].rates`).
    pub field: String,
    /// Why it is refused.
    pub reason: String,
}

impl FieldError {
    /// The error for `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// An experiment's settings as a config file holds them.
pub trait ExperimentConfig: DeserializeOwned {
    /// Checks every value the experiment needs to run.
    fn check(&self) -> Result<(), FieldError>;
}

/// Parses `text` (the content of `file`) and checks it. Unknown fields,
/// missing fields, wrong types and values the experiment cannot run with are
/// [`BenchError::Config`] naming `file` and the field.
pub fn parse<C: ExperimentConfig>(file: &str, text: &str) -> Result<C, BenchError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let config: C = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let reason = e.into_inner().to_string();
        BenchError::config(file, field_of(&path, &reason), reason)
    })?;
    config
        .check()
        .map_err(|e| BenchError::config(file, e.field, e.reason))?;
    Ok(config)
}

/// The field an error is about: the path where serde stopped, extended by
/// the name of an unknown field when the path stops at its parent (as it
/// does inside an internally tagged enum, which serde buffers).
fn field_of(path: &str, reason: &str) -> String {
    let unknown = reason
        .strip_prefix("unknown field `")
        .and_then(|r| r.split('`').next());
    match unknown {
        Some(name) if path == "." => name.to_string(),
        Some(name) if path != name && !path.ends_with(&format!(".{name}")) => {
            format!("{path}.{name}")
        }
        _ => path.to_string(),
    }
}

/// The config named `file`: read from `dir` when given (an I/O error names
/// the path), the built-in text otherwise; with the hash of its text (for
/// `--resume`).
pub fn load<C: ExperimentConfig>(
    dir: Option<&Path>,
    file: &str,
    builtin: &str,
) -> Result<(C, u64), BenchError> {
    let (name, text) = match dir {
        Some(d) => {
            let path = d.join(file);
            let text = std::fs::read_to_string(&path).map_err(BenchError::io(&path))?;
            (path.display().to_string(), text)
        }
        None => (file.to_string(), builtin.to_string()),
    };
    let config = parse(&name, &text)?;
    Ok((config, config_hash(&text)))
}

/// Both values of a count are at least 1.
pub fn positive(field: &str, value: &ByMode<u64>) -> Result<(), FieldError> {
    for (mode, v) in [("full", value.full), ("quick", value.quick)] {
        if v == 0 {
            return Err(FieldError::new(format!("{field}.{mode}"), "must be >= 1"));
        }
    }
    Ok(())
}

/// The tuning grid, checked by [`dopamine_train::tuning::check_grids`]
/// (equal-size grids, axes and variants that fit each method), its error
/// as a [`FieldError`].
pub fn tuning_grid(optimizers: &[Candidate]) -> Result<(), FieldError> {
    check_grids(optimizers).map_err(|e| FieldError::new(e.field, e.reason))
}
