//! Fair tuning: every optimizer gets a grid of the same size (learning rate × sigma for the perturbation methods and the evolution strategies, learning rate × momentum / beta1 for the gradient methods, times a list of variants of the step itself: probes, probe mode, rank, population) on held-out seeds or data.
//!
//! The grids are plain data ([`Candidate`], read from a config), checked
//! by [`check_grids`] (the fair-tuning rule: every grid the same size), tried
//! by [`tune`] / [`try_tune`] (the cells in parallel, the pick the lowest
//! score) into a [`Tuned`] that keeps every cell's score. The lab
//! (`dopamine-bench`) and the `dopamine` command line both tune through
//! this module; what a cell's score is (a validation error over tuning
//! seeds) is the caller's.

use std::fmt;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::registry::{OptimizerKind, OptimizerSpec, SgdSettings, SpecOptions};

/// Tuning seeds are `TUNING_SEED_BASE..`, disjoint from the evaluation seeds `0..n`.
pub const TUNING_SEED_BASE: u64 = 10_000;

/// An optimizer to tune: a base spec with its options, the learning rates
/// to try, and the values of its second axis (sigma, or momentum / beta1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// The spec; its learning rate and second-axis value are replaced by each grid cell.
    pub base: OptimizerSpec,
    /// Settings beyond the spec (low rank, no baseline, second moment); the
    /// grid's `beta1` replaces `options.beta1` for Adam.
    #[serde(default, skip_serializing_if = "SpecOptions::is_default")]
    pub options: SpecOptions,
    /// Learning rates to try.
    pub rates: Vec<f64>,
    /// Noise scales to try (perturbation methods and evolution strategies;
    /// empty: the base's sigma only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sigmas: Vec<f64>,
    /// Momenta (SGD) or `beta1` values (Adam) to try (empty: the base's only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub momenta: Vec<f64>,
    /// Variants of the step to try, each with every rate and second-axis
    /// value: the third, categorical axis of the grid (empty: the base alone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
}

/// One value of a grid's categorical axis: fields of the base spec and of
/// its options replaced, by their config names. `{"spec": {"probes": 4},
/// "options": {"rank": 1}}` turns a one-probe Dopamine step into four
/// rank-1 probes; `{"spec": {"pairs": 16}}` gives OpenES a larger
/// population; `{}` is the base itself. The kind cannot change, and a field
/// the optimizer does not have is refused.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Spec fields to replace (`probes`, `antithetic`, `pairs`, `population`, `lambda`, ...).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub spec: Map<String, Value>,
    /// Option fields to replace (`rank`, `baseline_from_probes`, `second_moment`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub options: Map<String, Value>,
}

/// Why a variant does not apply to its base: the optimizer, the variant,
/// the field (relative to the variant, `spec.pairs`, `options.rank`) and
/// the reason. Displayed as `Dopamine-1 variants[1].options.rank: ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantError {
    /// The candidate's optimizer.
    pub optimizer: OptimizerKind,
    /// Index of the variant in the candidate's list.
    pub index: usize,
    /// The field, relative to the variant.
    pub field: String,
    /// Why it is refused.
    pub reason: String,
}

impl fmt::Display for VariantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} variants[{}].{}: {}",
            self.optimizer, self.index, self.field, self.reason
        )
    }
}

impl std::error::Error for VariantError {}

/// A tuning grid that cannot run fairly: the field (a path into the list
/// of grids, `optimizers[2].rates`) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct GridError {
    /// Path of the field (`optimizers[2].rates`, `optimizers[1]`).
    pub field: String,
    /// Why it is refused.
    pub reason: String,
}

impl GridError {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for GridError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.field, self.reason)
    }
}

impl std::error::Error for GridError {}

/// `base` with the fields of `changes` replaced, through its config form.
fn patched<T: Clone + Serialize + serde::de::DeserializeOwned>(
    base: &T,
    changes: &Map<String, Value>,
    what: &str,
) -> Result<T, (String, String)> {
    if changes.is_empty() {
        return Ok(base.clone());
    }
    let mut value = serde_json::to_value(base).map_err(|e| (what.to_string(), e.to_string()))?;
    let Some(fields) = value.as_object_mut() else {
        return Err((what.to_string(), "is not a table of fields".to_string()));
    };
    for (name, new) in changes {
        let field = format!("{what}.{name}");
        if name == "kind" {
            return Err((field, "a variant cannot change the optimizer".to_string()));
        }
        if !fields.contains_key(name) {
            return Err((field, "is not a field of the base".to_string()));
        }
        fields.insert(name.clone(), new.clone());
    }
    serde_json::from_value(value).map_err(|e| (what.to_string(), e.to_string()))
}

/// The second axis of a grid: its name and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// `sigma`, `momentum` or `beta1`.
    pub name: &'static str,
    /// The values tried, in config order.
    pub values: Vec<f64>,
}

impl Candidate {
    /// The second axis: sigma for the methods with noise, momentum for SGD,
    /// `beta1` for Adam; the base's value alone when the config lists none.
    pub fn second_axis(&self) -> Axis {
        match self.base {
            OptimizerSpec::Sgd(s) => Axis {
                name: "momentum",
                values: if self.momenta.is_empty() {
                    vec![s.momentum]
                } else {
                    self.momenta.clone()
                },
            },
            OptimizerSpec::Adam(_) => Axis {
                name: "beta1",
                values: if self.momenta.is_empty() {
                    vec![self.options.beta1.unwrap_or(0.9)]
                } else {
                    self.momenta.clone()
                },
            },
            _ => Axis {
                name: "sigma",
                values: if self.sigmas.is_empty() {
                    vec![self.base.sigma().unwrap_or(f64::NAN)]
                } else {
                    self.sigmas.clone()
                },
            },
        }
    }

    /// Number of configurations in the grid.
    pub fn grid_size(&self) -> usize {
        self.rates.len() * self.second_axis().values.len() * self.variants.len().max(1)
    }

    /// The base spec and options of every variant, in config order (the
    /// base alone when the candidate lists no variant), each checked
    /// against its optimizer.
    pub fn variant_bases(&self) -> Result<Vec<(OptimizerSpec, SpecOptions)>, VariantError> {
        if self.variants.is_empty() {
            return Ok(vec![(self.base, self.options)]);
        }
        self.variants
            .iter()
            .enumerate()
            .map(|(index, v)| {
                let error = |(field, reason)| VariantError {
                    optimizer: self.base.kind(),
                    index,
                    field,
                    reason,
                };
                let spec = patched(&self.base, &v.spec, "spec").map_err(error)?;
                let options = patched(&self.options, &v.options, "options").map_err(error)?;
                options.check(&spec).map_err(|e| VariantError {
                    optimizer: self.base.kind(),
                    index,
                    field: format!("options.{}", e.field),
                    reason: e.reason,
                })?;
                Ok((spec, options))
            })
            .collect()
    }

    /// The spec and options of the cell (`rate`, second-axis `value`) of
    /// the base variant.
    pub fn cell(&self, rate: f64, value: f64) -> (OptimizerSpec, SpecOptions) {
        cell_of(self.base, self.options, rate, value)
    }
}

/// The spec and options of a cell: `rate` and the second-axis `value` set
/// on a variant's base.
fn cell_of(
    base: OptimizerSpec,
    options: SpecOptions,
    rate: f64,
    value: f64,
) -> (OptimizerSpec, SpecOptions) {
    let mut options = options;
    let spec = match base {
        OptimizerSpec::Sgd(s) => OptimizerSpec::Sgd(SgdSettings {
            momentum: value,
            ..s
        }),
        OptimizerSpec::Adam(_) => {
            options.beta1 = Some(value);
            base
        }
        _ => base.with_sigma(value),
    };
    (spec.with_rate(rate), options)
}

/// One grid cell's validation score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GridScore {
    /// Learning rate.
    pub rate: f64,
    /// Value on the second axis.
    pub second: f64,
    /// Validation score (lower is better; infinite for a diverged or failed cell).
    pub score: f64,
    /// Index of the cell's variant in the candidate's list (0 when it lists none).
    #[serde(default)]
    pub variant: usize,
}

/// The outcome of tuning one optimizer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tuned {
    /// The chosen spec.
    pub chosen: OptimizerSpec,
    /// The chosen options.
    pub options: SpecOptions,
    /// Name of the second axis (`sigma`, `momentum`, `beta1`).
    pub second_axis: String,
    /// Every cell tried with its validation score: variants outermost,
    /// then the second axis, rates fastest.
    pub scores: Vec<GridScore>,
    /// Index of the chosen cell's variant (0 when the candidate lists none).
    #[serde(default)]
    pub chosen_variant: usize,
    /// The axes on whose edge the pick lies (`eta`, `sigma`, ...): a better
    /// setting may lie outside the grid. Axes with one value are never an edge.
    pub edge: Vec<String>,
}

impl Tuned {
    /// The chosen configuration in one line, for reports.
    pub fn describe(&self) -> String {
        let opts = self.options.describe();
        if opts.is_empty() {
            self.chosen.describe()
        } else {
            format!("{} {opts}", self.chosen.describe())
        }
    }

    /// The chosen configuration, with ` (edge: ...)` when it lies on the edge of its grid.
    pub fn describe_flagged(&self) -> String {
        if self.edge.is_empty() {
            self.describe()
        } else {
            format!(
                "{} (edge of grid: {})",
                self.describe(),
                self.edge.join(", ")
            )
        }
    }

    /// The grid's shape for reports: `4 eta x 3 sigma x 2 variants`
    /// (distinct values on each axis; the variant axis only when there is more than one).
    pub fn shape(&self) -> String {
        let distinct = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.dedup();
            v.len()
        };
        let rates = distinct(self.scores.iter().map(|c| c.rate).collect());
        let seconds = distinct(self.scores.iter().map(|c| c.second).collect());
        let variants = self.scores.iter().map(|c| c.variant + 1).max().unwrap_or(1);
        let rate = rate_name(self.chosen.kind());
        let mut shape = format!("{rates} {rate} x {seconds} {}", self.second_axis);
        if variants > 1 {
            shape.push_str(&format!(" x {variants} variants"));
        }
        shape
    }

    /// The best (lowest) score of the grid.
    pub fn best(&self) -> f64 {
        self.scores
            .iter()
            .map(|s| s.score)
            .fold(f64::INFINITY, f64::min)
    }

    /// Robustness to settings: the fraction of the grid whose score is
    /// within `factor` of the best, and the number of cells that diverged
    /// (an infinite score).
    pub fn robustness(&self, factor: f64) -> (f64, usize) {
        let best = self.best();
        let n = self.scores.len().max(1) as f64;
        let near = self
            .scores
            .iter()
            .filter(|s| s.score.is_finite() && s.score <= factor * best)
            .count() as f64;
        let diverged = self.scores.iter().filter(|s| !s.score.is_finite()).count();
        (near / n, diverged)
    }
}

/// Checks a list of grids (`optimizers`, as a config names the list): at
/// least one optimizer; each with a non-empty list of finite positive
/// rates, a second axis that fits it (`sigmas`, finite and positive, for
/// the methods with noise; `momenta` in `[0, 1)` for SGD and Adam), options
/// and variants that apply to it; and every grid of the same size (the
/// fair-tuning rule: every optimizer gets as many tries).
pub fn check_grids(optimizers: &[Candidate]) -> Result<(), GridError> {
    let Some(first) = optimizers.first() else {
        return Err(GridError::new("optimizers", "lists no optimizer"));
    };
    let describe = |c: &Candidate| {
        let axis = c.second_axis();
        let variants = if c.variants.is_empty() {
            String::new()
        } else {
            format!(" x {} variants", c.variants.len())
        };
        format!(
            "{} rates x {} {}{variants} = {} configurations",
            c.rates.len(),
            axis.values.len(),
            axis.name,
            c.grid_size()
        )
    };
    for (i, c) in optimizers.iter().enumerate() {
        let field = format!("optimizers[{i}].rates");
        if c.rates.is_empty() {
            return Err(GridError::new(field, "the tuning grid is empty"));
        }
        if let Some(r) = c.rates.iter().find(|r| !(r.is_finite() && **r > 0.0)) {
            return Err(GridError::new(
                field,
                format!("rate {r} is not a finite number > 0"),
            ));
        }
        let kind = c.base.kind();
        if kind.uses_gradients() {
            if !c.sigmas.is_empty() {
                return Err(GridError::new(
                    format!("optimizers[{i}].sigmas"),
                    format!("{kind} has no sigma; its second axis is `momenta`"),
                ));
            }
            if let Some(m) = c.momenta.iter().find(|m| !(**m >= 0.0 && **m < 1.0)) {
                return Err(GridError::new(
                    format!("optimizers[{i}].momenta"),
                    format!("{m} is not in [0, 1)"),
                ));
            }
        } else {
            if !c.momenta.is_empty() {
                return Err(GridError::new(
                    format!("optimizers[{i}].momenta"),
                    format!("{kind} has no momentum; its second axis is `sigmas`"),
                ));
            }
            if let Some(s) = c.sigmas.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
                return Err(GridError::new(
                    format!("optimizers[{i}].sigmas"),
                    format!("sigma {s} is not a finite number > 0"),
                ));
            }
        }
        c.options.check(&c.base).map_err(|e| {
            GridError::new(format!("optimizers[{i}].options.{}", e.field), e.reason)
        })?;
        c.variant_bases().map_err(|e| {
            GridError::new(
                format!("optimizers[{i}].variants[{}].{}", e.index, e.field),
                e.reason,
            )
        })?;
        if c.grid_size() != first.grid_size() {
            return Err(GridError::new(
                format!("optimizers[{i}]"),
                format!(
                    "a grid of {} where optimizers[0] has {}: every optimizer must get a grid of the same size",
                    describe(c),
                    describe(first)
                ),
            ));
        }
    }
    Ok(())
}

/// The name of the learning-rate axis of `kind` in reports.
pub fn rate_name(kind: OptimizerKind) -> &'static str {
    if kind.uses_gradients() { "lr" } else { "eta" }
}

/// Tries every cell (variants outermost, then the second axis, rates
/// innermost; the cells run in parallel, each a pure function of its spec,
/// so the outcome does not depend on the thread count) and picks the lowest
/// score (NaN counts as worst; ties go to the first cell). `score`
/// evaluates one spec with its options on validation data. A variant that
/// does not apply to its base is a [`VariantError`] naming it (a grid that
/// passed [`check_grids`] has none).
pub fn tune(
    candidate: &Candidate,
    score: impl Fn(&OptimizerSpec, &SpecOptions) -> f64 + Sync,
) -> Result<Tuned, VariantError> {
    try_tune(candidate, |spec, options| Ok(score(spec, options)))
}

/// [`tune`] with a score that can fail: the error of the first failing
/// cell in grid order (whatever order the threads ran in) is returned after
/// the grid has been tried, otherwise the tuning outcome. A variant that
/// does not apply is the caller's error type made from the [`VariantError`].
pub fn try_tune<E: From<VariantError> + Send>(
    candidate: &Candidate,
    score: impl Fn(&OptimizerSpec, &SpecOptions) -> Result<f64, E> + Sync,
) -> Result<Tuned, E> {
    let bases = candidate.variant_bases()?;
    let axis = candidate.second_axis();
    // (variant, rate index, second-axis index, rate, value)
    let cells: Vec<(usize, usize, usize, f64, f64)> = (0..bases.len())
        .flat_map(|k| {
            axis.values.iter().enumerate().flat_map(move |(j, &value)| {
                candidate
                    .rates
                    .iter()
                    .enumerate()
                    .map(move |(i, &rate)| (k, i, j, rate, value))
            })
        })
        .collect();
    // Every cell runs; the results come back in grid order.
    let values: Vec<Result<f64, E>> = cells
        .par_iter()
        .map(|&(k, _, _, rate, value)| {
            let (spec, options) = cell_of(bases[k].0, bases[k].1, rate, value);
            score(&spec, &options).map(|s| if s.is_nan() { f64::INFINITY } else { s })
        })
        .collect();
    let mut best = (f64::INFINITY, (0, 0, 0));
    let mut scores = Vec::with_capacity(cells.len());
    for (&(k, i, j, rate, value), s) in cells.iter().zip(values) {
        let s = s?;
        scores.push(GridScore {
            rate,
            second: value,
            score: s,
            variant: k,
        });
        if s < best.0 {
            best = (s, (k, i, j));
        }
    }
    let (k, i, j) = best.1;
    let rate = candidate
        .rates
        .get(i)
        .copied()
        .unwrap_or(candidate.base.rate());
    let (chosen, options) = cell_of(bases[k].0, bases[k].1, rate, axis.values[j]);
    let on_edge = |index: usize, values: &[f64]| {
        values.len() > 1 && {
            let v = values[index];
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            v == min || v == max
        }
    };
    let mut edge = Vec::new();
    if on_edge(i, &candidate.rates) {
        edge.push(rate_name(candidate.base.kind()).to_string());
    }
    if on_edge(j, &axis.values) {
        edge.push(axis.name.to_string());
    }
    Ok(Tuned {
        chosen,
        options,
        second_axis: axis.name.to_string(),
        scores,
        chosen_variant: k,
        edge,
    })
}

/// Runs `run` on each of `count` tuning seeds in parallel; results in seed
/// order (the first error in seed order, if any).
pub fn over_tuning_seeds<T: Send, E: Send>(
    count: u64,
    run: impl Fn(u64) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    (0..count)
        .into_par_iter()
        .map(|s| run(TUNING_SEED_BASE + s))
        .collect()
}

#[cfg(test)]
mod tests;
