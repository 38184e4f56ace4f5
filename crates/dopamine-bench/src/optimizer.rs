//! Optimizer specs (what a config file names) and the running optimizers behind them.

use dopamine_core::{
    Adam, AdamConfig, AdaptiveCoding, Dopamine1, Dopamine1Rule, Dopamine2, Dopamine2Rule,
    EtaSchedule, PerturbConfig, PerturbationOptimizer, Query, RpeMode, Sgd, SgdConfig, Told,
    UpdateRule, Wp, WpConfig, WpRule,
};
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::objective::Objective;
use crate::parallel_probes::ProbePool;

/// Settings shared by the perturbation rules, as written in a config file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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

/// One optimizer and its hyperparameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimizerSpec {
    /// Weight perturbation with a fixed or scheduled learning rate.
    Wp(PerturbSpec),
    /// Dopamine-1 (adaptive coding of the RPE).
    Dopamine1 {
        /// Probing and learning rate.
        #[serde(flatten)]
        perturb: PerturbSpec,
        /// Running-average factor of the RPE statistics.
        beta: f64,
    },
    /// Dopamine-2 (Dopamine-1 plus an eligibility trace).
    Dopamine2 {
        /// Probing and learning rate.
        #[serde(flatten)]
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
    /// Short display name: `WP`, `Dopamine-1`, `Dopamine-2`, `SGD`, `Adam`.
    pub fn name(&self) -> &'static str {
        match self {
            OptimizerSpec::Wp(_) => "WP",
            OptimizerSpec::Dopamine1 { .. } => "Dopamine-1",
            OptimizerSpec::Dopamine2 { .. } => "Dopamine-2",
            OptimizerSpec::Sgd { .. } => "SGD",
            OptimizerSpec::Adam { .. } => "Adam",
        }
    }

    /// `true` for the rules that need only forward passes.
    pub fn is_perturbation(&self) -> bool {
        !matches!(self, OptimizerSpec::Sgd { .. } | OptimizerSpec::Adam { .. })
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
}

fn perturb_config(s: &PerturbSpec, seed: u64, total_steps: u64) -> PerturbConfig<f64> {
    PerturbConfig {
        sigma: s.sigma,
        eta: s.eta,
        probes: s.probes,
        rpe: if s.antithetic {
            RpeMode::Antithetic
        } else {
            RpeMode::Forward
        },
        schedule: match s.cosine_to {
            Some(f) => EtaSchedule::Cosine {
                total_steps: total_steps.max(1),
                final_fraction: f,
            },
            None => EtaSchedule::Constant,
        },
        seed,
        ..Default::default()
    }
}

/// What one optimizer step did.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct StepInfo {
    /// Loss at the parameters the step started from.
    pub loss: f64,
    /// Forward passes the step used.
    pub forward_passes: u64,
    /// Backward passes the step used.
    pub backward_passes: u64,
    /// Effective learning rate (WP units for the perturbation rules; lr for SGD/Adam).
    pub effective_eta: f64,
    /// RPE of the last probe (perturbation rules).
    pub last_delta: f64,
    /// Expected RPE (Dopamine rules).
    pub expected_rpe: f64,
    /// Size of the surprise (Dopamine rules).
    pub surprise_size: f64,
    /// The step was rejected and rolled back (non-finite loss).
    pub rejected: bool,
}

/// A gradient baseline's buffers: gradient, state and the parameters before
/// the last update (so a diverged update can be rolled back).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct GradientState {
    grad: Vec<f64>,
    state_a: Vec<f64>,
    state_b: Vec<f64>,
    previous: Vec<f64>,
    has_previous: bool,
}

impl GradientState {
    fn new(dim: usize) -> Self {
        Self {
            grad: vec![0.0; dim],
            state_a: vec![0.0; dim],
            state_b: vec![0.0; dim],
            previous: vec![0.0; dim],
            has_previous: false,
        }
    }

    fn check_dim(&self, dim: usize) -> Result<(), String> {
        let lens = [
            self.grad.len(),
            self.state_a.len(),
            self.state_b.len(),
            self.previous.len(),
        ];
        if lens.iter().any(|&l| l != dim) {
            return Err(format!(
                "gradient state has lengths {lens:?} for {dim} parameters"
            ));
        }
        Ok(())
    }
}

/// The running optimizer behind a spec, with all its state (serialized in checkpoints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Engine {
    Wp(Wp<f64>),
    Dopamine1(Dopamine1<f64>),
    Dopamine2(Dopamine2<f64, Vec<f64>>),
    Sgd(Sgd<f64>, GradientState),
    Adam(Adam<f64>, GradientState),
}

/// A running optimizer: any [`OptimizerSpec`] behind one `step` call.
///
/// It serializes (serde) with its whole state — rule state, learning-rate
/// scale, noise-stream position (the step counter), gradient buffers and the
/// rollback copy — so a run can be checkpointed and resumed bit for bit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Optimizer {
    #[serde(with = "plain_spec")]
    spec: OptimizerSpec,
    seed: u64,
    total_steps: u64,
    engine: Engine,
    rolled_back: u64,
}

/// [`OptimizerSpec`] in a form that non-self-describing formats (bincode)
/// can read back: the config form is internally tagged and flattened, which
/// needs `deserialize_any`.
#[derive(Serialize, Deserialize)]
enum PlainSpec {
    Wp(PerturbSpec),
    Dopamine1(PerturbSpec, f64),
    Dopamine2(PerturbSpec, f64, f64),
    Sgd(f64, f64),
    Adam(f64),
}

/// Serde adapter: an [`OptimizerSpec`] written as a [`PlainSpec`].
mod plain_spec {
    use super::{OptimizerSpec, PlainSpec};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(spec: &OptimizerSpec, s: S) -> Result<S::Ok, S::Error> {
        let plain = match *spec {
            OptimizerSpec::Wp(p) => PlainSpec::Wp(p),
            OptimizerSpec::Dopamine1 { perturb, beta } => PlainSpec::Dopamine1(perturb, beta),
            OptimizerSpec::Dopamine2 {
                perturb,
                beta,
                lambda,
            } => PlainSpec::Dopamine2(perturb, beta, lambda),
            OptimizerSpec::Sgd { lr, momentum } => PlainSpec::Sgd(lr, momentum),
            OptimizerSpec::Adam { lr } => PlainSpec::Adam(lr),
        };
        plain.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OptimizerSpec, D::Error> {
        Ok(match PlainSpec::deserialize(d)? {
            PlainSpec::Wp(p) => OptimizerSpec::Wp(p),
            PlainSpec::Dopamine1(perturb, beta) => OptimizerSpec::Dopamine1 { perturb, beta },
            PlainSpec::Dopamine2(perturb, beta, lambda) => OptimizerSpec::Dopamine2 {
                perturb,
                beta,
                lambda,
            },
            PlainSpec::Sgd(lr, momentum) => OptimizerSpec::Sgd { lr, momentum },
            PlainSpec::Adam(lr) => OptimizerSpec::Adam { lr },
        })
    }
}

impl Optimizer {
    /// Builds the optimizer for `dim` parameters. `seed` keys the noise
    /// streams; `total_steps` sets the length of a cosine schedule.
    pub fn new(
        spec: OptimizerSpec,
        dim: usize,
        seed: u64,
        total_steps: u64,
    ) -> Result<Self, TrainError> {
        let engine = match spec {
            OptimizerSpec::Wp(p) => Engine::Wp(Wp::new(
                perturb_config(&p, seed, total_steps),
                WpRule::new(WpConfig::default()),
                dim,
            )?),
            OptimizerSpec::Dopamine1 { perturb, beta } => Engine::Dopamine1(Dopamine1::new(
                perturb_config(&perturb, seed, total_steps),
                Dopamine1Rule::new(AdaptiveCoding {
                    beta,
                    ..Default::default()
                }),
                dim,
            )?),
            OptimizerSpec::Dopamine2 {
                perturb,
                beta,
                lambda,
            } => {
                let coding = AdaptiveCoding {
                    beta,
                    ..Default::default()
                };
                Engine::Dopamine2(Dopamine2::new(
                    perturb_config(&perturb, seed, total_steps),
                    Dopamine2Rule::new(coding, lambda, vec![0.0; dim]),
                    dim,
                )?)
            }
            OptimizerSpec::Sgd { lr, momentum } => Engine::Sgd(
                Sgd::new(SgdConfig {
                    lr,
                    momentum,
                    nesterov: false,
                })?,
                GradientState::new(dim),
            ),
            OptimizerSpec::Adam { lr } => Engine::Adam(
                Adam::new(AdamConfig {
                    lr,
                    ..Default::default()
                })?,
                GradientState::new(dim),
            ),
        };
        Ok(Self {
            spec,
            seed,
            total_steps,
            engine,
            rolled_back: 0,
        })
    }

    /// The spec it was built from.
    pub fn spec(&self) -> &OptimizerSpec {
        &self.spec
    }

    /// The seed of its noise streams.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The step count its schedule was built for.
    pub fn total_steps(&self) -> u64 {
        self.total_steps
    }

    /// The learning rate in force now: the base rate times every halving
    /// after a divergence (and, for the perturbation rules, the schedule's
    /// factor at the next step).
    pub fn current_rate(&self) -> f64 {
        fn perturb<R: UpdateRule<f64>>(o: &PerturbationOptimizer<f64, R>, scale: f64) -> f64 {
            let c = o.config();
            c.eta * c.schedule.factor(o.step_index()) * scale
        }
        match &self.engine {
            Engine::Wp(o) => perturb(o, o.rule().eta_scale()),
            Engine::Dopamine1(o) => perturb(o, 1.0),
            Engine::Dopamine2(o) => perturb(o, 1.0),
            Engine::Sgd(s, _) => s.lr(),
            Engine::Adam(a, _) => a.lr(),
        }
    }

    /// Checks that its state fits `dim` parameters (a decoded checkpoint
    /// could disagree with the model it is resumed into).
    pub(crate) fn check_dim(&self, dim: usize) -> Result<(), String> {
        let own = match &self.engine {
            Engine::Wp(o) => o.dim(),
            Engine::Dopamine1(o) => o.dim(),
            Engine::Dopamine2(o) => {
                o.rule()
                    .validate(dim)
                    .map_err(|e| format!("Dopamine-2 trace: {e}"))?;
                o.dim()
            }
            Engine::Sgd(_, st) | Engine::Adam(_, st) => {
                st.check_dim(dim)?;
                dim
            }
        };
        if own != dim {
            return Err(format!(
                "optimizer state is for {own} parameters, not {dim}"
            ));
        }
        Ok(())
    }

    /// Steps rolled back so far because a loss came back non-finite.
    pub fn rolled_back(&self) -> u64 {
        self.rolled_back
    }

    /// One step on `objective` with the probes of a perturbation rule
    /// evaluated in parallel on `pool` (see [`crate::parallel_probes`]):
    /// bit-identical to [`Optimizer::step`]. Gradient optimizers take their
    /// ordinary step.
    pub fn step_with_probe_pool<O: Objective + Clone>(
        &mut self,
        objective: &mut O,
        pool: &mut ProbePool<O>,
    ) -> Result<StepInfo, TrainError> {
        let info = match &mut self.engine {
            Engine::Wp(o) => pool.step(o, objective)?,
            Engine::Dopamine1(o) => pool.step(o, objective)?,
            Engine::Dopamine2(o) => pool.step(o, objective)?,
            Engine::Sgd(..) | Engine::Adam(..) => return self.step(objective),
        };
        if info.rejected {
            self.rolled_back += 1;
        }
        Ok(info)
    }

    /// One step on `objective`.
    pub fn step(&mut self, objective: &mut dyn Objective) -> Result<StepInfo, TrainError> {
        let info = match &mut self.engine {
            Engine::Wp(o) => perturbation_step(o, objective)?,
            Engine::Dopamine1(o) => perturbation_step(o, objective)?,
            Engine::Dopamine2(o) => perturbation_step(o, objective)?,
            Engine::Sgd(sgd, st) => gradient_step(objective, st, sgd)?,
            Engine::Adam(adam, st) => gradient_step(objective, st, adam)?,
        };
        if info.rejected {
            self.rolled_back += 1;
        }
        Ok(info)
    }
}

/// Runs ask/tell until the step's update or rejection.
fn perturbation_step<R: UpdateRule<f64>>(
    opt: &mut PerturbationOptimizer<f64, R>,
    objective: &mut dyn Objective,
) -> Result<StepInfo, TrainError> {
    perturbation_step_with(opt, objective, |_, o| o.loss())
}

/// Runs ask/tell until the step's update or rejection, with `evaluate`
/// giving the loss of each query (the parameters are already in place).
pub(crate) fn perturbation_step_with<R: UpdateRule<f64>, O: Objective + ?Sized>(
    opt: &mut PerturbationOptimizer<f64, R>,
    objective: &mut O,
    mut evaluate: impl FnMut(Query, &mut O) -> f64,
) -> Result<StepInfo, TrainError> {
    let mut info = StepInfo {
        loss: f64::NAN,
        ..Default::default()
    };
    loop {
        let query = opt.ask(objective.params_mut())?;
        let loss = evaluate(query, objective);
        info.forward_passes += 1;
        match opt.tell(objective.params_mut(), loss)? {
            Told::Baseline { loss } => info.loss = loss,
            Told::Probed => {}
            Told::Updated(r) => {
                // Also the loss estimate of a step without a baseline.
                info.loss = r.baseline_loss;
                info.effective_eta = r.signal.effective_eta;
                info.last_delta = r.last_delta;
                info.expected_rpe = r.signal.expected_rpe;
                info.surprise_size = r.signal.surprise_size;
                return Ok(info);
            }
            Told::Rejected(_) => {
                info.rejected = true;
                return Ok(info);
            }
        }
    }
}

/// The two gradient baselines behind one interface.
trait GradientRule {
    fn update(
        &mut self,
        params: &mut [f64],
        grad: &[f64],
        st: &mut GradientState,
    ) -> Result<(), dopamine_core::Error>;
    fn scale_lr(&mut self, factor: f64);
    fn lr(&self) -> f64;
}

impl GradientRule for Sgd<f64> {
    fn update(
        &mut self,
        params: &mut [f64],
        grad: &[f64],
        st: &mut GradientState,
    ) -> Result<(), dopamine_core::Error> {
        self.step(params, grad, &mut st.state_a)
    }
    fn scale_lr(&mut self, factor: f64) {
        Sgd::scale_lr(self, factor);
    }
    fn lr(&self) -> f64 {
        Sgd::lr(self)
    }
}

impl GradientRule for Adam<f64> {
    fn update(
        &mut self,
        params: &mut [f64],
        grad: &[f64],
        st: &mut GradientState,
    ) -> Result<(), dopamine_core::Error> {
        self.step(params, grad, &mut st.state_a, &mut st.state_b)
    }
    fn scale_lr(&mut self, factor: f64) {
        Adam::scale_lr(self, factor);
    }
    fn lr(&self) -> f64 {
        Adam::lr(self)
    }
}

/// One gradient step: loss and gradient; if the loss is not finite, roll
/// back to the parameters before the last update and halve the rate; else
/// remember the parameters and update.
fn gradient_step(
    objective: &mut dyn Objective,
    st: &mut GradientState,
    rule: &mut dyn GradientRule,
) -> Result<StepInfo, TrainError> {
    let loss = objective
        .loss_and_gradient(&mut st.grad)
        .ok_or(TrainError::NoGradient)?;
    let mut info = StepInfo {
        loss,
        forward_passes: 1,
        backward_passes: 1,
        effective_eta: rule.lr(),
        ..Default::default()
    };
    if !loss.is_finite() || st.grad.iter().any(|g| !g.is_finite()) {
        if st.has_previous {
            objective.params_mut().copy_from_slice(&st.previous);
            st.has_previous = false;
            rule.scale_lr(0.5);
            info.rejected = true;
            return Ok(info);
        }
        return Err(TrainError::NonFiniteStart);
    }
    st.previous.copy_from_slice(objective.params());
    st.has_previous = true;
    let grad = std::mem::take(&mut st.grad);
    let result = rule.update(objective.params_mut(), &grad, st);
    st.grad = grad;
    result?;
    Ok(info)
}
