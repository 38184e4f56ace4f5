//! [`OptimizerSpec`]: the built-in optimizers as a config file names them (serde-tagged), turned into an [`Optimizer`] once by [`OptimizerSpec::build`].
//!
//! The spec is the configuration edge: the trainer never sees it, only the
//! optimizer it builds. An optimizer that is not built in needs no spec; it
//! implements [`Optimizer`] and is handed to the trainer directly.

use std::fmt;

use dopamine_core::{
    AdaptiveCoding, BaselinePolicy, Dopamine1Rule, Dopamine2Rule, EtaSchedule, NoiseStructure,
    OpenEsConfig, OpenEsRule, ParamLayout, PerturbConfig, PerturbationOptimizer, RpeMode,
    SecondMomentConfig, SnesConfig, UpdateRule, WpConfig, WpRule,
};
use serde::{Deserialize, Serialize};

use crate::error::{SpecError, TrainError};
use crate::float::Float;
use crate::optimizer::Optimizer;
use crate::optimizers::{AdamOptimizer, NamedRule, SgdOptimizer, SnesOptimizer};

/// Settings shared by the perturbation rules, as written in a config file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerturbSpec {
    /// Perturbation scale.
    pub sigma: f64,
    /// Base learning rate.
    pub eta: f64,
    /// Probes per step.
    #[serde(default = "one")]
    pub probes: usize,
    /// Antithetic RPE (two evaluations per probe).
    #[serde(default)]
    pub antithetic: bool,
    /// Cosine-decay `eta` to this fraction over the run's step budget (none: constant).
    #[serde(default)]
    pub cosine_to: Option<f64>,
}

fn one() -> usize {
    1
}

impl PerturbSpec {
    /// The kernel's settings for a run of `total_steps` steps seeded with `seed`.
    pub fn config<T: Float>(&self, seed: u64, total_steps: u64) -> PerturbConfig<T> {
        PerturbConfig {
            sigma: T::from_f64(self.sigma),
            eta: T::from_f64(self.eta),
            probes: self.probes,
            rpe: if self.antithetic {
                RpeMode::Antithetic
            } else {
                RpeMode::Forward
            },
            schedule: schedule(self.cosine_to, total_steps),
            seed,
            ..Default::default()
        }
    }
}

/// Which built-in optimizer: the name the reports print, as an enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OptimizerKind {
    /// Weight perturbation.
    #[serde(rename = "WP")]
    Wp,
    /// Dopamine-1.
    #[serde(rename = "Dopamine-1")]
    Dopamine1,
    /// Dopamine-2.
    #[serde(rename = "Dopamine-2")]
    Dopamine2,
    /// SGD with momentum.
    #[serde(rename = "SGD")]
    Sgd,
    /// Adam.
    #[serde(rename = "Adam")]
    Adam,
    /// OpenES (Salimans et al. 2017).
    #[serde(rename = "OpenES")]
    OpenEs,
    /// SNES (Schaul et al. 2011).
    #[serde(rename = "SNES")]
    Snes,
}

impl OptimizerKind {
    /// Every built-in optimizer, in report order.
    pub const ALL: [OptimizerKind; 7] = [
        OptimizerKind::Wp,
        OptimizerKind::OpenEs,
        OptimizerKind::Snes,
        OptimizerKind::Dopamine1,
        OptimizerKind::Dopamine2,
        OptimizerKind::Sgd,
        OptimizerKind::Adam,
    ];

    /// Short display name: `WP`, `Dopamine-1`, `Dopamine-2`, `SGD`, `Adam`,
    /// `OpenES`, `SNES`.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Wp => "WP",
            OptimizerKind::Dopamine1 => "Dopamine-1",
            OptimizerKind::Dopamine2 => "Dopamine-2",
            OptimizerKind::Sgd => "SGD",
            OptimizerKind::Adam => "Adam",
            OptimizerKind::OpenEs => "OpenES",
            OptimizerKind::Snes => "SNES",
        }
    }

    /// `true` for the evolution strategies (OpenES, SNES).
    pub fn is_evolution_strategy(self) -> bool {
        matches!(self, OptimizerKind::OpenEs | OptimizerKind::Snes)
    }

    /// `true` for the gradient methods (SGD, Adam).
    pub fn uses_gradients(self) -> bool {
        matches!(self, OptimizerKind::Sgd | OptimizerKind::Adam)
    }
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// OpenES's settings, as written in a config file: `{"kind": "openes",
/// "sigma": 0.02, "eta": 0.01, "pairs": 8}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EsSpec {
    /// Noise scale `sigma` (the starter code's `noise_stdev`).
    pub sigma: f64,
    /// Adam's step size on the search gradient.
    pub eta: f64,
    /// Antithetic pairs `K` per step (`2K` forward passes).
    pub pairs: usize,
    /// Cosine-decay `eta` to this fraction over the run's step budget (none: constant).
    pub cosine_to: Option<f64>,
    /// L2 coefficient added to Adam's input (`l2 theta`; 0: none).
    pub l2: f64,
}

/// SNES's settings, as written in a config file: `{"kind": "snes",
/// "sigma": 0.05, "eta": 1.0, "population": 16}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnesSpec {
    /// Initial per-parameter `sigma`.
    pub sigma: f64,
    /// Learning rate of the mean `eta_mu` (paper: 1).
    pub eta: f64,
    /// Points per step `lambda` (= forward passes per step).
    pub population: usize,
    /// Learning rate of `sigma` (none: the paper's `(3 + ln d) / (5 sqrt d)`).
    pub eta_sigma: Option<f64>,
}

/// Settings of a built-in optimizer beyond its [`OptimizerSpec`]: the
/// probe structure, the antithetic step without a baseline, Dopamine's
/// second moment and Adam's `beta1`. Kept apart from the spec so that the
/// spec's variants keep their shape; [`OptimizerSpec::build_with`] applies
/// them and refuses those that do not fit the optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecOptions {
    /// Low-rank probes of this rank on the objective's layout
    /// ([`crate::Objective::param_layout`]); perturbation rules and OpenES.
    #[serde(default)]
    pub rank: Option<usize>,
    /// With antithetic RPE, skip the baseline evaluation: the safety net
    /// works from the probes' losses and a step costs exactly `2K` passes
    /// ([`BaselinePolicy::FromProbes`]); perturbation rules only.
    #[serde(default)]
    pub baseline_from_probes: bool,
    /// Per-synapse second-moment normalisation of the coded update with
    /// this `beta2` (Dopamine-1 and Dopamine-2 only).
    #[serde(default)]
    pub second_moment: Option<f64>,
    /// Adam's first-moment factor (Adam only; none: 0.9).
    #[serde(default)]
    pub beta1: Option<f64>,
}

impl SpecOptions {
    /// `true` when no option is set.
    pub fn is_default(&self) -> bool {
        *self == SpecOptions::default()
    }

    /// The options in a few words, for reports (empty when none is set).
    pub fn describe(&self) -> String {
        let mut d = Vec::new();
        if let Some(r) = self.rank {
            d.push(format!("rank={r}"));
        }
        if self.baseline_from_probes {
            d.push("no-baseline".to_string());
        }
        if let Some(b) = self.second_moment {
            d.push(format!("second-moment beta2={b}"));
        }
        if let Some(b) = self.beta1 {
            d.push(format!("beta1={b}"));
        }
        d.join(" ")
    }

    /// Refuses options that do not apply to `spec`, naming the field.
    pub fn check(&self, spec: &OptimizerSpec) -> Result<(), SpecError> {
        let kind = spec.kind();
        if self.rank.is_some() && !(spec.is_perturbation() || kind == OptimizerKind::OpenEs) {
            return Err(SpecError::new(
                "rank",
                format!("{kind} has no probes to make low-rank"),
            ));
        }
        if self.rank == Some(0) {
            return Err(SpecError::new("rank", "must be >= 1"));
        }
        if self.baseline_from_probes && !spec.perturb().is_some_and(|p| p.antithetic) {
            return Err(SpecError::new(
                "baseline_from_probes",
                format!("needs a perturbation rule with antithetic RPE, not {kind}"),
            ));
        }
        if self.second_moment.is_some()
            && !matches!(kind, OptimizerKind::Dopamine1 | OptimizerKind::Dopamine2)
        {
            return Err(SpecError::new(
                "second_moment",
                format!("is an option of Dopamine-1 and Dopamine-2, not {kind}"),
            ));
        }
        if self.beta1.is_some() && kind != OptimizerKind::Adam {
            return Err(SpecError::new(
                "beta1",
                format!("is an option of Adam, not {kind}"),
            ));
        }
        Ok(())
    }
}

/// One built-in optimizer and its hyperparameters, as a config file writes it:
/// `{"kind": "dopamine1", "sigma": 0.01, "eta": 0.1, "beta": 0.9}`. Unknown
/// fields are refused.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(into = "raw::Spec", from = "raw::Spec")]
pub enum OptimizerSpec {
    /// Weight perturbation with a fixed or scheduled learning rate.
    Wp(PerturbSpec),
    /// Dopamine-1 (adaptive coding of the RPE).
    Dopamine1 {
        /// Probing and learning rate.
        perturb: PerturbSpec,
        /// Running-average factor of the RPE statistics.
        beta: f64,
    },
    /// Dopamine-2 (Dopamine-1 plus an eligibility trace).
    Dopamine2 {
        /// Probing and learning rate.
        perturb: PerturbSpec,
        /// Running-average factor of the RPE statistics.
        beta: f64,
        /// Trace decay.
        lambda: f64,
    },
    /// SGD with momentum on backprop / BPTT gradients.
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum.
        momentum: f64,
    },
    /// Adam on backprop / BPTT gradients.
    Adam {
        /// Learning rate.
        lr: f64,
    },
    /// OpenES: antithetic pairs, centred ranks, Adam on the search gradient.
    OpenEs(EsSpec),
    /// SNES: separable natural evolution strategy, per-parameter sigma.
    Snes(SnesSpec),
}

impl OptimizerSpec {
    /// Which optimizer this is.
    pub fn kind(&self) -> OptimizerKind {
        match self {
            OptimizerSpec::Wp(_) => OptimizerKind::Wp,
            OptimizerSpec::Dopamine1 { .. } => OptimizerKind::Dopamine1,
            OptimizerSpec::Dopamine2 { .. } => OptimizerKind::Dopamine2,
            OptimizerSpec::Sgd { .. } => OptimizerKind::Sgd,
            OptimizerSpec::Adam { .. } => OptimizerKind::Adam,
            OptimizerSpec::OpenEs(_) => OptimizerKind::OpenEs,
            OptimizerSpec::Snes(_) => OptimizerKind::Snes,
        }
    }

    /// Short display name: `WP`, `Dopamine-1`, `Dopamine-2`, `SGD`, `Adam`, `OpenES`, `SNES`.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The perturbation settings (`None` for the gradient methods and the
    /// evolution strategies).
    pub fn perturb(&self) -> Option<&PerturbSpec> {
        match self {
            OptimizerSpec::Wp(p)
            | OptimizerSpec::Dopamine1 { perturb: p, .. }
            | OptimizerSpec::Dopamine2 { perturb: p, .. } => Some(p),
            _ => None,
        }
    }

    /// `true` for the rules that need only forward passes (WP, Dopamine-1, Dopamine-2).
    pub fn is_perturbation(&self) -> bool {
        self.perturb().is_some()
    }

    /// Forward-pass equivalents of one step without options; see
    /// [`OptimizerSpec::passes_per_step_with`].
    pub fn passes_per_step(&self) -> u64 {
        self.passes_per_step_with(&SpecOptions::default())
    }

    /// Forward-pass equivalents of one step: for the perturbation rules the
    /// baseline (unless skipped) and one (forward) or two (antithetic) per
    /// probe; `2K` for OpenES; the population for SNES; a forward and a
    /// backward pass for the gradient methods.
    pub fn passes_per_step_with(&self, options: &SpecOptions) -> u64 {
        match self {
            OptimizerSpec::OpenEs(e) => 2 * e.pairs as u64,
            OptimizerSpec::Snes(s) => s.population as u64,
            _ => match self.perturb() {
                Some(p) if p.antithetic && options.baseline_from_probes => 2 * p.probes as u64,
                Some(p) => 1 + p.probes as u64 * if p.antithetic { 2 } else { 1 },
                None => 2,
            },
        }
    }

    /// The hyperparameters in one line, for reports.
    pub fn describe(&self) -> String {
        let p = |s: &PerturbSpec| {
            let mut d = format!("sigma={} eta={} K={}", s.sigma, s.eta, s.probes);
            if s.antithetic {
                d.push_str(" antithetic");
            }
            if let Some(f) = s.cosine_to {
                d.push_str(&format!(" cosine->{f}"));
            }
            d
        };
        match self {
            OptimizerSpec::Wp(s) => p(s),
            OptimizerSpec::Dopamine1 { perturb, beta } => format!("{} beta={beta}", p(perturb)),
            OptimizerSpec::Dopamine2 {
                perturb,
                beta,
                lambda,
            } => format!("{} beta={beta} lambda={lambda}", p(perturb)),
            OptimizerSpec::Sgd { lr, momentum } => format!("lr={lr} momentum={momentum}"),
            OptimizerSpec::Adam { lr } => format!("lr={lr}"),
            OptimizerSpec::OpenEs(e) => {
                let mut d = format!("sigma={} eta={} pairs={}", e.sigma, e.eta, e.pairs);
                if let Some(f) = e.cosine_to {
                    d.push_str(&format!(" cosine->{f}"));
                }
                if e.l2 != 0.0 {
                    d.push_str(&format!(" l2={}", e.l2));
                }
                d
            }
            OptimizerSpec::Snes(s) => {
                let mut d = format!(
                    "sigma0={} eta_mu={} lambda={}",
                    s.sigma, s.eta, s.population
                );
                if let Some(e) = s.eta_sigma {
                    d.push_str(&format!(" eta_sigma={e}"));
                }
                d
            }
        }
    }

    /// The same optimizer with its learning rate (eta, lr, or SNES's eta_mu) replaced.
    pub fn with_rate(&self, rate: f64) -> OptimizerSpec {
        let mut s = *self;
        match &mut s {
            OptimizerSpec::Wp(p)
            | OptimizerSpec::Dopamine1 { perturb: p, .. }
            | OptimizerSpec::Dopamine2 { perturb: p, .. } => p.eta = rate,
            OptimizerSpec::Sgd { lr, .. } | OptimizerSpec::Adam { lr } => *lr = rate,
            OptimizerSpec::OpenEs(e) => e.eta = rate,
            OptimizerSpec::Snes(e) => e.eta = rate,
        }
        s
    }

    /// The learning rate (eta, lr, or SNES's eta_mu).
    pub fn rate(&self) -> f64 {
        match self {
            OptimizerSpec::Wp(p)
            | OptimizerSpec::Dopamine1 { perturb: p, .. }
            | OptimizerSpec::Dopamine2 { perturb: p, .. } => p.eta,
            OptimizerSpec::Sgd { lr, .. } | OptimizerSpec::Adam { lr } => *lr,
            OptimizerSpec::OpenEs(e) => e.eta,
            OptimizerSpec::Snes(e) => e.eta,
        }
    }

    /// The noise scale (sigma; SNES's initial sigma); `None` for the gradient methods.
    pub fn sigma(&self) -> Option<f64> {
        match self {
            OptimizerSpec::OpenEs(e) => Some(e.sigma),
            OptimizerSpec::Snes(e) => Some(e.sigma),
            _ => self.perturb().map(|p| p.sigma),
        }
    }

    /// The same optimizer with its noise scale replaced (unchanged for the
    /// gradient methods).
    pub fn with_sigma(&self, sigma: f64) -> OptimizerSpec {
        let mut s = *self;
        match &mut s {
            OptimizerSpec::Wp(p)
            | OptimizerSpec::Dopamine1 { perturb: p, .. }
            | OptimizerSpec::Dopamine2 { perturb: p, .. } => p.sigma = sigma,
            OptimizerSpec::OpenEs(e) => e.sigma = sigma,
            OptimizerSpec::Snes(e) => e.sigma = sigma,
            OptimizerSpec::Sgd { .. } | OptimizerSpec::Adam { .. } => {}
        }
        s
    }

    /// The running optimizer for `dim` parameters in `T`, without options;
    /// see [`OptimizerSpec::build_with`].
    pub fn build<T: Float>(
        &self,
        dim: usize,
        seed: u64,
        total_steps: u64,
    ) -> Result<Box<dyn Optimizer<T>>, TrainError> {
        self.build_with(&SpecOptions::default(), None, dim, seed, total_steps)
    }

    /// The running optimizer for `dim` parameters in `T`, with `options`.
    /// `seed` keys the noise streams; `total_steps` sets the length of a
    /// cosine schedule; `layout` is the objective's parameter layout for
    /// low-rank probes (needed when `options.rank` is set: see
    /// [`crate::Objective::param_layout`]). Every setting is validated here.
    pub fn build_with<T: Float>(
        &self,
        options: &SpecOptions,
        layout: Option<&ParamLayout>,
        dim: usize,
        seed: u64,
        total_steps: u64,
    ) -> Result<Box<dyn Optimizer<T>>, TrainError> {
        options.check(self)?;
        let coding = |beta: f64| AdaptiveCoding {
            beta: T::from_f64(beta),
            ..Default::default()
        };
        let layout = match options.rank {
            Some(_) => Some(*layout.ok_or_else(|| {
                SpecError::new(
                    "rank",
                    "low-rank probes need the objective's parameter layout",
                )
            })?),
            None => None,
        };
        let with_options = |mut c: PerturbConfig<T>| {
            if let Some(rank) = options.rank {
                c.structure = NoiseStructure::LowRank { rank };
            }
            if options.baseline_from_probes {
                c.baseline = BaselinePolicy::FromProbes;
            }
            c
        };
        fn perturbation<T: Float, R>(
            config: PerturbConfig<T>,
            rule: R,
            layout: Option<ParamLayout>,
            dim: usize,
        ) -> Result<Box<dyn Optimizer<T>>, TrainError>
        where
            R: UpdateRule<T> + NamedRule + Serialize + serde::de::DeserializeOwned + Send + 'static,
        {
            Ok(Box::new(match layout {
                Some(l) => PerturbationOptimizer::with_layout(config, rule, l)?,
                None => PerturbationOptimizer::new(config, rule, dim)?,
            }))
        }
        let moment = |beta2: f64| SecondMomentConfig {
            beta2: T::from_f64(beta2),
            ..Default::default()
        };
        match *self {
            OptimizerSpec::Wp(p) => perturbation(
                with_options(p.config(seed, total_steps)),
                WpRule::new(WpConfig::default()),
                layout,
                dim,
            ),
            OptimizerSpec::Dopamine1 { perturb, beta } => {
                let config = with_options(perturb.config(seed, total_steps));
                let rule = Dopamine1Rule::new(coding(beta));
                match options.second_moment {
                    Some(b2) => perturbation(
                        config,
                        rule.with_second_moment(moment(b2), vec![T::ZERO; dim]),
                        layout,
                        dim,
                    ),
                    None => perturbation(config, rule, layout, dim),
                }
            }
            OptimizerSpec::Dopamine2 {
                perturb,
                beta,
                lambda,
            } => {
                let config = with_options(perturb.config(seed, total_steps));
                let rule =
                    Dopamine2Rule::new(coding(beta), T::from_f64(lambda), vec![T::ZERO; dim]);
                match options.second_moment {
                    Some(b2) => perturbation(
                        config,
                        rule.with_second_moment(moment(b2), vec![T::ZERO; dim]),
                        layout,
                        dim,
                    ),
                    None => perturbation(config, rule, layout, dim),
                }
            }
            OptimizerSpec::OpenEs(e) => {
                let config = PerturbConfig {
                    sigma: T::from_f64(e.sigma),
                    eta: T::from_f64(e.eta),
                    probes: e.pairs,
                    schedule: schedule(e.cosine_to, total_steps),
                    seed,
                    ..PerturbConfig::antithetic()
                };
                let rule = OpenEsRule::new(
                    OpenEsConfig {
                        l2: T::from_f64(e.l2),
                        ..Default::default()
                    },
                    vec![T::ZERO; 2 * dim],
                );
                perturbation(with_options(config), rule, layout, dim)
            }
            OptimizerSpec::Snes(s) => {
                let mut config = SnesConfig::new(dim, T::from_f64(s.sigma));
                config.eta_mu = T::from_f64(s.eta);
                config.population = s.population;
                if let Some(e) = s.eta_sigma {
                    config.eta_sigma = T::from_f64(e);
                }
                config.seed = seed;
                Ok(Box::new(SnesOptimizer::new(config, dim)?))
            }
            OptimizerSpec::Sgd { lr, momentum } => Ok(Box::new(SgdOptimizer::sgd(
                T::from_f64(lr),
                T::from_f64(momentum),
                dim,
            )?)),
            OptimizerSpec::Adam { lr } => Ok(Box::new(AdamOptimizer::adam_with_beta1(
                T::from_f64(lr),
                T::from_f64(options.beta1.unwrap_or(0.9)),
                dim,
            )?)),
        }
    }
}

/// The kernel's schedule for a cosine fraction over `total_steps` steps.
fn schedule<T: Float>(cosine_to: Option<f64>, total_steps: u64) -> EtaSchedule<T> {
    match cosine_to {
        Some(f) => EtaSchedule::Cosine {
            total_steps: total_steps.max(1),
            final_fraction: T::from_f64(f),
        },
        None => EtaSchedule::Constant,
    }
}

/// The config-file form of [`OptimizerSpec`]: every field of a variant
/// written out, so serde can refuse unknown ones.
mod raw {
    use serde::{Deserialize, Serialize};

    use super::{EsSpec, OptimizerSpec, PerturbSpec, SnesSpec, one};

    #[derive(Serialize, Deserialize)]
    #[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
    pub(super) enum Spec {
        Wp {
            sigma: f64,
            eta: f64,
            #[serde(default = "one")]
            probes: usize,
            #[serde(default)]
            antithetic: bool,
            #[serde(default)]
            cosine_to: Option<f64>,
        },
        Dopamine1 {
            sigma: f64,
            eta: f64,
            #[serde(default = "one")]
            probes: usize,
            #[serde(default)]
            antithetic: bool,
            #[serde(default)]
            cosine_to: Option<f64>,
            beta: f64,
        },
        Dopamine2 {
            sigma: f64,
            eta: f64,
            #[serde(default = "one")]
            probes: usize,
            #[serde(default)]
            antithetic: bool,
            #[serde(default)]
            cosine_to: Option<f64>,
            beta: f64,
            lambda: f64,
        },
        Sgd {
            lr: f64,
            momentum: f64,
        },
        Adam {
            lr: f64,
        },
        Openes {
            sigma: f64,
            eta: f64,
            #[serde(default = "one")]
            pairs: usize,
            #[serde(default)]
            cosine_to: Option<f64>,
            #[serde(default)]
            l2: f64,
        },
        Snes {
            sigma: f64,
            eta: f64,
            population: usize,
            #[serde(default)]
            eta_sigma: Option<f64>,
        },
    }

    impl From<Spec> for OptimizerSpec {
        fn from(s: Spec) -> Self {
            let p = |sigma, eta, probes, antithetic, cosine_to| PerturbSpec {
                sigma,
                eta,
                probes,
                antithetic,
                cosine_to,
            };
            match s {
                Spec::Wp {
                    sigma,
                    eta,
                    probes,
                    antithetic,
                    cosine_to,
                } => OptimizerSpec::Wp(p(sigma, eta, probes, antithetic, cosine_to)),
                Spec::Dopamine1 {
                    sigma,
                    eta,
                    probes,
                    antithetic,
                    cosine_to,
                    beta,
                } => OptimizerSpec::Dopamine1 {
                    perturb: p(sigma, eta, probes, antithetic, cosine_to),
                    beta,
                },
                Spec::Dopamine2 {
                    sigma,
                    eta,
                    probes,
                    antithetic,
                    cosine_to,
                    beta,
                    lambda,
                } => OptimizerSpec::Dopamine2 {
                    perturb: p(sigma, eta, probes, antithetic, cosine_to),
                    beta,
                    lambda,
                },
                Spec::Sgd { lr, momentum } => OptimizerSpec::Sgd { lr, momentum },
                Spec::Adam { lr } => OptimizerSpec::Adam { lr },
                Spec::Openes {
                    sigma,
                    eta,
                    pairs,
                    cosine_to,
                    l2,
                } => OptimizerSpec::OpenEs(EsSpec {
                    sigma,
                    eta,
                    pairs,
                    cosine_to,
                    l2,
                }),
                Spec::Snes {
                    sigma,
                    eta,
                    population,
                    eta_sigma,
                } => OptimizerSpec::Snes(SnesSpec {
                    sigma,
                    eta,
                    population,
                    eta_sigma,
                }),
            }
        }
    }

    impl From<OptimizerSpec> for Spec {
        fn from(s: OptimizerSpec) -> Self {
            match s {
                OptimizerSpec::Wp(p) => Spec::Wp {
                    sigma: p.sigma,
                    eta: p.eta,
                    probes: p.probes,
                    antithetic: p.antithetic,
                    cosine_to: p.cosine_to,
                },
                OptimizerSpec::Dopamine1 { perturb: p, beta } => Spec::Dopamine1 {
                    sigma: p.sigma,
                    eta: p.eta,
                    probes: p.probes,
                    antithetic: p.antithetic,
                    cosine_to: p.cosine_to,
                    beta,
                },
                OptimizerSpec::Dopamine2 {
                    perturb: p,
                    beta,
                    lambda,
                } => Spec::Dopamine2 {
                    sigma: p.sigma,
                    eta: p.eta,
                    probes: p.probes,
                    antithetic: p.antithetic,
                    cosine_to: p.cosine_to,
                    beta,
                    lambda,
                },
                OptimizerSpec::Sgd { lr, momentum } => Spec::Sgd { lr, momentum },
                OptimizerSpec::Adam { lr } => Spec::Adam { lr },
                OptimizerSpec::OpenEs(e) => Spec::Openes {
                    sigma: e.sigma,
                    eta: e.eta,
                    pairs: e.pairs,
                    cosine_to: e.cosine_to,
                    l2: e.l2,
                },
                OptimizerSpec::Snes(s) => Spec::Snes {
                    sigma: s.sigma,
                    eta: s.eta,
                    population: s.population,
                    eta_sigma: s.eta_sigma,
                },
            }
        }
    }
}
