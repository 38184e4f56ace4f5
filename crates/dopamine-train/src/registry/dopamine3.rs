//! Dopamine-3 (node perturbation, per-step dopamine, eligibility traces) in the registry: [`Dopamine3Settings`], its choices [`Copies`] and [`NodeSignal`], and its entry.

use dopamine_core::{
    Accumulation, AdaptiveCoding, Dopamine3Config, EtaSchedule, NoiseMode, SecondMomentConfig,
    Signal, UpdateEvery,
};
use serde::{Deserialize, Serialize};

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::optimizers::Dopamine3Optimizer;
use crate::registry::entry::{BuildContext, Family, OptimizerEntry};
use crate::registry::options::{Allowed, SpecOptions};
use crate::registry::perturb::Noise;
use crate::registry::python::Python;
use crate::registry::sink::Sink;

/// The noise of Dopamine-3's two copies of the network.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Copies {
    /// `+xi` and `-xi`; the RPE is half the difference of the copies'
    /// losses. The default.
    #[default]
    Antithetic,
    /// A perturbed (`+xi`) and a clean copy.
    CleanPerturbed,
}

/// What Dopamine-3's dopamine signal is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NodeSignal {
    /// The raw RPE of every time step. The default.
    #[default]
    PerStep,
    /// The per-step RPE coded against its running statistics (Dopamine-1's
    /// adaptive coding, factor `beta`).
    Adaptive,
    /// One RPE per update interval for all its steps (the whole-sequence
    /// RPE when the update comes once per sweep); for ablations.
    WholeInterval,
}

/// Dopamine-3: node perturbation. Two copies of the network run in
/// lockstep with noise `+xi(t)` and `-xi(t)` (or `xi(t)` and none) on
/// every hidden pre-activation and output; a dopamine signal at every time
/// step gates synaptic eligibility traces `e = lambda e + xi x`, and every
/// `C` time steps the weights move along `sum_t delta(t) e(t) / sigma^2`,
/// normalised per synapse by a running second moment. It needs the
/// model's neurons, so it trains the RNN and MLP objectives only.
///
/// A step is one update interval on the RNN (hidden state and traces carry
/// over) and one sweep on the MLP; a sweep of the two copies counts two
/// forward passes. Schedules are in sweeps.
///
/// As a config file writes its settings: `{"kind": "dopamine3", "sigma":
/// 0.01, "eta": 0.003, "lambda": 0.5, "update_every": 300}`. Fields not
/// given take their defaults (the settings tuned on Mackey-Glass).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Dopamine3Settings {
    /// Standard deviation of the neuron noise `sigma` (> 0; default 0.01).
    pub sigma: f64,
    /// Learning rate `eta` (> 0; default 0.003).
    pub eta: f64,
    /// Decay of the eligibility trace per time step, in [0, 1) (default 0.5).
    pub lambda: f64,
    /// Update every `C` time steps (>= 1; default 300); traces and hidden
    /// state carry over the boundary.
    pub update_every: u32,
    /// Update once per sweep instead, at the sequence's end (default false).
    pub once_per_sweep: bool,
    /// The dopamine signal: `per_step`, `adaptive` or `whole_interval`
    /// (default per_step).
    pub signal: NodeSignal,
    /// Factor of the adaptive signal's running RPE statistics, in [0, 1)
    /// (default 0.9; used by `adaptive` only).
    pub beta: f64,
    /// Per-synapse second-moment normalisation of the estimate (default true).
    pub second_moment: bool,
    /// Factor of the second moments' running average, in [0, 1) (default 0.999).
    pub beta2: f64,
    /// The copies: `antithetic` or `clean_perturbed` (default antithetic).
    pub copies: Copies,
    /// The neuron noise, `gaussian` or `rademacher` (default gaussian).
    pub noise: Noise,
    /// Cosine-decay `eta` to this fraction over the run (default 0.01; none:
    /// constant).
    pub cosine_to: Option<f64>,
    /// Sweeps of the cosine schedule (default: the run's budget in sweeps).
    pub total_steps: Option<u64>,
    /// Step schedule: multiply `eta` by `factor` every `every` sweeps.
    pub every: Option<u64>,
    /// The step schedule's factor, in (0, 1].
    pub factor: Option<f64>,
    /// Fold the eligibility in one sample at a time (O(P) memory) instead
    /// of blocks of `update_every` steps with one matrix product each
    /// (default false; the two agree to rounding).
    pub streaming: bool,
}

impl Default for Dopamine3Settings {
    fn default() -> Self {
        Self {
            sigma: 0.01,
            eta: 0.003,
            lambda: 0.5,
            update_every: 300,
            once_per_sweep: false,
            signal: NodeSignal::PerStep,
            beta: 0.9,
            second_moment: true,
            beta2: 0.999,
            copies: Copies::Antithetic,
            noise: Noise::Gaussian,
            cosine_to: Some(0.01),
            total_steps: None,
            every: None,
            factor: None,
            streaming: false,
        }
    }
}

impl Dopamine3Settings {
    /// The rule's settings in `T`, seeded with `seed`, the schedule in
    /// sweeps (`total_sweeps` for a cosine schedule that names none).
    ///
    /// # Errors
    /// [`SpecError`] for a schedule that is not one (a step schedule with
    /// one of its two fields, or a cosine and a step schedule together).
    pub fn config<T: Float>(
        &self,
        seed: u64,
        total_sweeps: u64,
    ) -> Result<Dopamine3Config<T>, SpecError> {
        let schedule = match (self.cosine_to, self.every, self.factor) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(SpecError::new(
                    "cosine_to",
                    "a cosine and a step schedule cannot both be given",
                ));
            }
            (Some(f), None, None) => EtaSchedule::Cosine {
                total_steps: self.total_steps.unwrap_or(total_sweeps).max(1),
                final_fraction: T::from_f64(f),
            },
            (None, Some(every), Some(factor)) => EtaSchedule::Step {
                every,
                factor: T::from_f64(factor),
            },
            (None, None, None) => EtaSchedule::Constant,
            (None, _, _) => {
                return Err(SpecError::new(
                    "every",
                    "a step schedule needs both `every` and `factor`",
                ));
            }
        };
        Ok(Dopamine3Config {
            sigma: T::from_f64(self.sigma),
            eta: T::from_f64(self.eta),
            lambda: T::from_f64(self.lambda),
            update_every: if self.once_per_sweep {
                UpdateEvery::Sweep
            } else {
                UpdateEvery::Steps(self.update_every)
            },
            signal: match self.signal {
                NodeSignal::PerStep => Signal::PerStep,
                NodeSignal::Adaptive => Signal::Adaptive(AdaptiveCoding {
                    beta: T::from_f64(self.beta),
                    ..Default::default()
                }),
                NodeSignal::WholeInterval => Signal::WholeInterval,
            },
            second_moment: self.second_moment.then(|| SecondMomentConfig {
                beta2: T::from_f64(self.beta2),
                ..Default::default()
            }),
            noise: match self.copies {
                Copies::Antithetic => NoiseMode::Antithetic,
                Copies::CleanPerturbed => NoiseMode::CleanPerturbed,
            },
            noise_kind: self.noise.into(),
            schedule,
            seed,
            accumulation: if self.streaming {
                Accumulation::Streaming
            } else {
                Accumulation::Blocks(self.update_every.max(1))
            },
        })
    }

    fn describe_interval(&self) -> String {
        if self.once_per_sweep {
            "sweep".into()
        } else {
            self.update_every.to_string()
        }
    }
}

impl OptimizerEntry for Dopamine3Settings {
    const NAME: &'static str = "Dopamine-3";
    const KIND: &'static str = "dopamine3";
    const FAMILY: Family = Family::NodePerturbation;
    const PYTHON: Python = Python::Excluded(
        "Dopamine-3 perturbs the model's neurons, not a flat parameter vector: it trains the \
         Rust RNN and MLP objectives (dopamine-train), which the bindings do not expose",
    );

    fn describe(&self) -> String {
        let mut d = format!(
            "sigma={} eta={} lambda={} C={} signal={:?} copies={:?}",
            self.sigma,
            self.eta,
            self.lambda,
            self.describe_interval(),
            self.signal,
            self.copies
        );
        if !self.second_moment {
            d.push_str(" plain");
        }
        if let Some(f) = self.cosine_to {
            d.push_str(&format!(" cosine_to={f}"));
        }
        if let (Some(e), Some(f)) = (self.every, self.factor) {
            d.push_str(&format!(" x{f} every {e} sweeps"));
        }
        d
    }
    fn rate(&self) -> f64 {
        self.eta
    }
    fn set_rate(&mut self, rate: f64) {
        self.eta = rate;
    }
    fn sigma(&self) -> Option<f64> {
        Some(self.sigma)
    }
    fn set_sigma(&mut self, sigma: f64) {
        self.sigma = sigma;
    }
    /// A sweep of the two copies: two forward passes (charged to the step
    /// that ends the sweep; see [`Dopamine3Optimizer`]).
    fn passes_per_step(&self, _options: &SpecOptions) -> u64 {
        2
    }
    fn check_options(&self, options: &SpecOptions) -> Result<(), SpecError> {
        self.config::<f64>(0, 1)?;
        options.check_allowed(Self::NAME, Allowed::NONE)
    }
    /// `ctx.total_steps` is the run's length in sweeps (its budget in
    /// passes over [`OptimizerEntry::passes_per_step`]).
    fn build_into<T: Float, S: Sink<T>>(
        &self,
        ctx: &BuildContext<'_>,
        sink: S,
    ) -> Result<S::Output, TrainError> {
        let config = self.config::<T>(ctx.seed, ctx.total_steps)?;
        Ok(sink.optimizer(Dopamine3Optimizer::new(config, ctx.dim)?))
    }
}
