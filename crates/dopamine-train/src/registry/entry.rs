//! [`OptimizerEntry`]: what every built-in optimizer's registry entry says about itself — names, rates, passes, option checks, its Python class, and how to build it — and the [`BuildContext`] it is built in.

use dopamine_core::ParamLayout;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::registry::options::{Allowed, SpecOptions};
use crate::registry::perturb::PerturbSpec;
use crate::registry::python::Python;
use crate::registry::sink::Sink;

/// Which family an optimizer belongs to: what it needs from an objective
/// and how reports group it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// A perturbation rule (forward passes only, ask/tell and batch steps).
    Perturbation,
    /// An evolution strategy (forward passes only, batch steps).
    EvolutionStrategy,
    /// A gradient method (needs the objective's gradient).
    Gradient,
    /// Node perturbation (Dopamine-3: forward passes of two noisy copies
    /// of the model; needs the objective's neurons,
    /// [`crate::Objective::node_model`]).
    NodePerturbation,
}

/// Where an optimizer is built: the run's options, the objective's
/// parameter layout (for low-rank probes), the number of parameters, the
/// seed of the noise streams and the run's step budget (the length of a
/// cosine schedule that names none).
#[derive(Debug, Clone, Copy)]
pub struct BuildContext<'a> {
    /// Settings beyond the spec (low rank, no baseline, second moment, `beta1`).
    pub options: &'a SpecOptions,
    /// The objective's layout for low-rank probes, when it has one.
    pub layout: Option<&'a ParamLayout>,
    /// Number of parameters.
    pub dim: usize,
    /// Seed of every noise stream of the run.
    pub seed: u64,
    /// Steps of the run.
    pub total_steps: u64,
}

/// One built-in optimizer, described once: its settings struct (this
/// trait's implementor, read from a config file by its fields' names with
/// unknown ones refused) and everything the lab, the trainer and the Python
/// bindings ask of it. The registry's list (`registry/mod.rs`) turns the
/// entries into [`crate::OptimizerSpec`] and [`crate::OptimizerKind`].
///
/// The settings struct's doc comments are its documentation everywhere:
/// the first paragraph of the struct's says what the optimizer does (the
/// Python class's docstring starts with it), each field's says what the
/// setting is (the Python keyword's documentation); its schema
/// ([`schemars::JsonSchema`]) carries them.
pub trait OptimizerEntry:
    Sized + Copy + PartialEq + Default + Serialize + DeserializeOwned + schemars::JsonSchema
{
    /// The name reports print and checkpoints record (`WP`, `Dopamine-1`, ...).
    const NAME: &'static str;
    /// The config's `kind` tag (`wp`, `dopamine1`, ...).
    const KIND: &'static str;
    /// The family.
    const FAMILY: Family;
    /// Names this optimizer's settings had before (in configs or Python)
    /// and their names now: an old name is refused with an error that
    /// names the new one.
    const RENAMED: &'static [(&'static str, &'static str)] = &[];
    /// Its class in the Python bindings, or why it has none.
    const PYTHON: Python;
    /// The options ([`SpecOptions`]) it may take at all; `check_options`
    /// refuses those that do not fit its settings (`baseline_from_probes`
    /// without antithetic RPE). None by default.
    const OPTIONS: Allowed = Allowed::NONE;

    /// The settings in one line, for reports.
    fn describe(&self) -> String;

    /// The learning rate (the tuning grid's first axis).
    fn rate(&self) -> f64;

    /// Replaces the learning rate.
    fn set_rate(&mut self, rate: f64);

    /// The noise scale (the grid's second axis for the methods with noise).
    fn sigma(&self) -> Option<f64> {
        None
    }

    /// Replaces the noise scale (nothing for the gradient methods).
    fn set_sigma(&mut self, sigma: f64) {
        let _ = sigma;
    }

    /// The probing settings of a perturbation rule (WP, the Dopamine
    /// rules); `None` for the others.
    fn perturbation(&self) -> Option<PerturbSpec> {
        None
    }

    /// Forward-pass equivalents of one step with `options`.
    fn passes_per_step(&self, options: &SpecOptions) -> u64;

    /// Refuses options that do not apply, naming the field.
    fn check_options(&self, options: &SpecOptions) -> Result<(), SpecError>;

    /// The running optimizer in `T`, handed to `sink` (the trainer boxes
    /// it; a front end may keep its type); every setting validated (by the
    /// kernel where it checks them). Per-parameter state comes from
    /// [`Sink::zeros`].
    fn build_into<T: Float, S: Sink<T>>(
        &self,
        ctx: &BuildContext<'_>,
        sink: S,
    ) -> Result<S::Output, TrainError>;
}

/// Refuses a settings key that was renamed, naming the new one.
pub fn check_renamed<'k>(
    renamed: &'static [(&'static str, &'static str)],
    kind: &str,
    keys: impl IntoIterator<Item = &'k str>,
) -> Result<(), SpecError> {
    for key in keys {
        if let Some((old, new)) = renamed.iter().find(|(old, _)| *old == key) {
            return Err(SpecError::new(
                old,
                format!("{kind} has no setting `{old}`: it is called `{new}`"),
            ));
        }
    }
    Ok(())
}
