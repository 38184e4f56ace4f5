//! Fair tuning: every optimizer gets a two-dimensional grid of the same size (learning rate × sigma for the perturbation methods and the evolution strategies, learning rate × momentum / beta1 for the gradient methods) on held-out seeds or data.

use dopamine_train::{OptimizerKind, OptimizerSpec, SpecOptions};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::BenchError;

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
            OptimizerSpec::Sgd { momentum, .. } => Axis {
                name: "momentum",
                values: if self.momenta.is_empty() {
                    vec![momentum]
                } else {
                    self.momenta.clone()
                },
            },
            OptimizerSpec::Adam { .. } => Axis {
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
        self.rates.len() * self.second_axis().values.len()
    }

    /// The spec and options of the cell (`rate`, second-axis `value`).
    pub fn cell(&self, rate: f64, value: f64) -> (OptimizerSpec, SpecOptions) {
        let mut options = self.options;
        let spec = match self.base {
            OptimizerSpec::Sgd { lr, .. } => OptimizerSpec::Sgd {
                lr,
                momentum: value,
            },
            OptimizerSpec::Adam { .. } => {
                options.beta1 = Some(value);
                self.base
            }
            _ => self.base.with_sigma(value),
        };
        (spec.with_rate(rate), options)
    }
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
    /// Every cell tried with its validation score, rates fastest.
    pub scores: Vec<GridScore>,
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

/// The name of the learning-rate axis of `kind` in reports.
pub fn rate_name(kind: OptimizerKind) -> &'static str {
    if kind.uses_gradients() { "lr" } else { "eta" }
}

/// Tries every cell (second axis outer, rates inner; the cells run in
/// parallel, each a pure function of its spec, so the outcome does not
/// depend on the thread count) and picks the lowest score (NaN counts as
/// worst; ties go to the first cell). `score` evaluates one spec with its
/// options on validation data.
pub fn tune(
    candidate: &Candidate,
    score: impl Fn(&OptimizerSpec, &SpecOptions) -> f64 + Sync,
) -> Tuned {
    let axis = candidate.second_axis();
    let cells: Vec<(usize, usize, f64, f64)> = axis
        .values
        .iter()
        .enumerate()
        .flat_map(|(j, &value)| {
            candidate
                .rates
                .iter()
                .enumerate()
                .map(move |(i, &rate)| (i, j, rate, value))
        })
        .collect();
    let values: Vec<f64> = cells
        .par_iter()
        .map(|&(_, _, rate, value)| {
            let (spec, options) = candidate.cell(rate, value);
            let s = score(&spec, &options);
            if s.is_nan() { f64::INFINITY } else { s }
        })
        .collect();
    let first_rate = candidate
        .rates
        .first()
        .copied()
        .unwrap_or(candidate.base.rate());
    let mut best = (
        f64::INFINITY,
        candidate.cell(first_rate, axis.values[0]),
        (0, 0),
    );
    let mut scores = Vec::with_capacity(cells.len());
    for (&(i, j, rate, value), &s) in cells.iter().zip(&values) {
        scores.push(GridScore {
            rate,
            second: value,
            score: s,
        });
        if s < best.0 {
            best = (s, candidate.cell(rate, value), (i, j));
        }
    }
    let on_edge = |index: usize, values: &[f64]| {
        values.len() > 1 && {
            let v = values[index];
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            v == min || v == max
        }
    };
    let mut edge = Vec::new();
    if on_edge(best.2.0, &candidate.rates) {
        edge.push(rate_name(candidate.base.kind()).to_string());
    }
    if on_edge(best.2.1, &axis.values) {
        edge.push(axis.name.to_string());
    }
    Tuned {
        chosen: best.1.0,
        options: best.1.1,
        second_axis: axis.name.to_string(),
        scores,
        edge,
    }
}

/// [`tune`] with a score that can fail: the error of the first failing
/// cell in grid order (whatever order the threads ran in) is returned after
/// the grid has been tried, otherwise the tuning outcome.
pub fn try_tune(
    candidate: &Candidate,
    score: impl Fn(&OptimizerSpec, &SpecOptions) -> Result<f64, BenchError> + Sync,
) -> Result<Tuned, BenchError> {
    let key = |spec: &OptimizerSpec, options: &SpecOptions| {
        format!("{} {}", spec.describe(), options.describe())
    };
    let errors = std::sync::Mutex::new(Vec::new());
    let tuned = tune(candidate, |spec, options| match score(spec, options) {
        Ok(s) => s,
        Err(e) => {
            errors
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((key(spec, options), e));
            f64::NAN
        }
    });
    let mut errors = errors
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for c in &tuned.scores {
        let (spec, options) = candidate.cell(c.rate, c.second);
        let k = key(&spec, &options);
        if let Some(i) = errors.iter().position(|(e, _)| *e == k) {
            return Err(errors.swap_remove(i).1);
        }
    }
    Ok(tuned)
}

/// Runs `run` on each of `count` tuning seeds in parallel; results in seed order.
pub fn over_tuning_seeds<T: Send>(
    count: u64,
    run: impl Fn(u64) -> Result<T, BenchError> + Sync,
) -> Result<Vec<T>, BenchError> {
    (0..count)
        .into_par_iter()
        .map(|s| run(TUNING_SEED_BASE + s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adam_grid() -> Candidate {
        Candidate {
            base: OptimizerSpec::Adam { lr: 1.0 },
            options: SpecOptions::default(),
            rates: vec![0.1, 0.01, 0.001],
            sigmas: vec![],
            momenta: vec![0.0, 0.5, 0.9],
        }
    }

    #[test]
    fn picks_lowest_score_treats_nan_as_worst_and_flags_edges() {
        let c = adam_grid();
        assert_eq!(c.grid_size(), 9);
        let t = tune(&c, |s, o| {
            if s.rate() == 0.1 {
                f64::NAN
            } else if s.rate() == 0.01 && o.beta1 == Some(0.5) {
                1.0
            } else {
                2.0
            }
        });
        assert_eq!(t.chosen.rate(), 0.01);
        assert_eq!(t.options.beta1, Some(0.5));
        assert!(t.edge.is_empty(), "{:?}", t.edge);
        assert_eq!(t.scores.len(), 9);
        assert_eq!(t.scores[0].score, f64::INFINITY);
        // Three NaN cells diverged; the six others are within 2x of the best.
        assert_eq!(t.robustness(2.0), (6.0 / 9.0, 3));
        let t = tune(&c, |s, o| s.rate() + o.beta1.unwrap_or(0.0));
        assert_eq!(t.chosen.rate(), 0.001);
        assert_eq!(t.edge, vec!["lr".to_string(), "beta1".to_string()]);
    }

    #[test]
    fn try_tune_returns_the_first_failing_cell_in_grid_order() {
        let c = adam_grid();
        // Cells fail at lr 0.01 (second in each row) and lr 0.001 with
        // beta1 0.9; the first in grid order is lr 0.01, beta1 0.
        let r = try_tune(&c, |s, o| {
            if s.rate() == 0.01 || (s.rate() == 0.001 && o.beta1 == Some(0.9)) {
                Err(BenchError::Setup(format!(
                    "lr {} beta1 {:?}",
                    s.rate(),
                    o.beta1
                )))
            } else {
                Ok(1.0)
            }
        });
        match r {
            Err(BenchError::Setup(m)) => assert_eq!(m, "lr 0.01 beta1 Some(0.0)"),
            other => panic!("{other:?}"),
        }
        assert!(try_tune(&c, |_, _| Ok(1.0)).is_ok());
    }

    #[test]
    fn the_second_axis_is_sigma_for_noise_methods_and_momentum_for_sgd() {
        let sgd = Candidate {
            base: OptimizerSpec::Sgd {
                lr: 1.0,
                momentum: 0.9,
            },
            momenta: vec![0.0, 0.9],
            ..adam_grid()
        };
        let (spec, _) = sgd.cell(0.3, 0.0);
        assert_eq!(
            spec,
            OptimizerSpec::Sgd {
                lr: 0.3,
                momentum: 0.0
            }
        );
        let es: OptimizerSpec =
            serde_json::from_str(r#"{"kind": "openes", "sigma": 0.02, "eta": 0.01, "pairs": 8}"#)
                .expect("parses");
        let es = Candidate {
            base: es,
            momenta: vec![],
            sigmas: vec![0.01, 0.03],
            ..adam_grid()
        };
        assert_eq!(es.second_axis().name, "sigma");
        assert_eq!(es.cell(0.1, 0.03).0.sigma(), Some(0.03));
        assert_eq!(es.grid_size(), 6);
    }
}
