//! [`OptimizerSpec`]: the built-in optimizers as a config file names them (serde-tagged), turned into an [`Optimizer`] once by [`OptimizerSpec::build`].
//!
//! The spec is the configuration edge: the trainer never sees it, only the
//! optimizer it builds. An optimizer that is not built in needs no spec; it
//! implements [`Optimizer`] and is handed to the trainer directly.

use std::fmt;

use dopamine_core::{
    AdaptiveCoding, Dopamine1, Dopamine1Rule, Dopamine2, Dopamine2Rule, EtaSchedule, PerturbConfig,
    RpeMode, Wp, WpConfig, WpRule,
};
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::float::Float;
use crate::optimizer::Optimizer;
use crate::optimizers::{AdamOptimizer, SgdOptimizer};

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
            schedule: match self.cosine_to {
                Some(f) => EtaSchedule::Cosine {
                    total_steps: total_steps.max(1),
                    final_fraction: T::from_f64(f),
                },
                None => EtaSchedule::Constant,
            },
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
}

impl OptimizerKind {
    /// Every built-in optimizer, in report order.
    pub const ALL: [OptimizerKind; 5] = [
        OptimizerKind::Wp,
        OptimizerKind::Dopamine1,
        OptimizerKind::Dopamine2,
        OptimizerKind::Sgd,
        OptimizerKind::Adam,
    ];

    /// Short display name: `WP`, `Dopamine-1`, `Dopamine-2`, `SGD`, `Adam`.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Wp => "WP",
            OptimizerKind::Dopamine1 => "Dopamine-1",
            OptimizerKind::Dopamine2 => "Dopamine-2",
            OptimizerKind::Sgd => "SGD",
            OptimizerKind::Adam => "Adam",
        }
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
        }
    }

    /// Short display name: `WP`, `Dopamine-1`, `Dopamine-2`, `SGD`, `Adam`.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The perturbation settings (`None` for the gradient methods).
    pub fn perturb(&self) -> Option<&PerturbSpec> {
        match self {
            OptimizerSpec::Wp(p)
            | OptimizerSpec::Dopamine1 { perturb: p, .. }
            | OptimizerSpec::Dopamine2 { perturb: p, .. } => Some(p),
            OptimizerSpec::Sgd { .. } | OptimizerSpec::Adam { .. } => None,
        }
    }

    /// `true` for the rules that need only forward passes.
    pub fn is_perturbation(&self) -> bool {
        self.perturb().is_some()
    }

    /// Forward-pass equivalents of one step: the baseline and one (forward)
    /// or two (antithetic) per probe; a forward and a backward pass for the
    /// gradient methods.
    pub fn passes_per_step(&self) -> u64 {
        match self.perturb() {
            Some(p) => 1 + p.probes as u64 * if p.antithetic { 2 } else { 1 },
            None => 2,
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
        }
    }

    /// The same optimizer with its learning rate (eta or lr) replaced.
    pub fn with_rate(&self, rate: f64) -> OptimizerSpec {
        let mut s = *self;
        match &mut s {
            OptimizerSpec::Wp(p)
            | OptimizerSpec::Dopamine1 { perturb: p, .. }
            | OptimizerSpec::Dopamine2 { perturb: p, .. } => p.eta = rate,
            OptimizerSpec::Sgd { lr, .. } | OptimizerSpec::Adam { lr } => *lr = rate,
        }
        s
    }

    /// The learning rate (eta or lr).
    pub fn rate(&self) -> f64 {
        match self {
            OptimizerSpec::Wp(p)
            | OptimizerSpec::Dopamine1 { perturb: p, .. }
            | OptimizerSpec::Dopamine2 { perturb: p, .. } => p.eta,
            OptimizerSpec::Sgd { lr, .. } | OptimizerSpec::Adam { lr } => *lr,
        }
    }

    /// The running optimizer for `dim` parameters in `T`. `seed` keys the
    /// noise streams; `total_steps` sets the length of a cosine schedule.
    /// Every setting is validated here.
    pub fn build<T: Float>(
        &self,
        dim: usize,
        seed: u64,
        total_steps: u64,
    ) -> Result<Box<dyn Optimizer<T>>, TrainError> {
        let coding = |beta: f64| AdaptiveCoding {
            beta: T::from_f64(beta),
            ..Default::default()
        };
        Ok(match *self {
            OptimizerSpec::Wp(p) => Box::new(Wp::new(
                p.config(seed, total_steps),
                WpRule::new(WpConfig::default()),
                dim,
            )?),
            OptimizerSpec::Dopamine1 { perturb, beta } => Box::new(Dopamine1::new(
                perturb.config(seed, total_steps),
                Dopamine1Rule::new(coding(beta)),
                dim,
            )?),
            OptimizerSpec::Dopamine2 {
                perturb,
                beta,
                lambda,
            } => Box::new(Dopamine2::new(
                perturb.config(seed, total_steps),
                Dopamine2Rule::new(coding(beta), T::from_f64(lambda), vec![T::ZERO; dim]),
                dim,
            )?),
            OptimizerSpec::Sgd { lr, momentum } => Box::new(SgdOptimizer::sgd(
                T::from_f64(lr),
                T::from_f64(momentum),
                dim,
            )?),
            OptimizerSpec::Adam { lr } => Box::new(AdamOptimizer::adam(T::from_f64(lr), dim)?),
        })
    }
}

/// The config-file form of [`OptimizerSpec`]: every field of a variant
/// written out, so serde can refuse unknown ones.
mod raw {
    use serde::{Deserialize, Serialize};

    use super::{OptimizerSpec, PerturbSpec, one};

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
            }
        }
    }
}
