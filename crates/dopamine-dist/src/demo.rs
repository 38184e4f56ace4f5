//! A fixed training problem shared by the `dist_check` binary, the `mpirun`
//! tests and the scaling benchmark: an Elman RNN predicting the next value of
//! a sine wave, trained by WP, Dopamine-1 or Dopamine-2.

use dopamine_core::{
    AdaptiveCoding, Dopamine1Rule, Dopamine2Rule, EtaSchedule, PerturbConfig,
    PerturbationOptimizer, RpeMode, StepOutcome, UpdateRule, WpConfig, WpRule,
};
use dopamine_nets::{Rnn, RnnInit, RnnWorkspace};
use faer::Mat;

use crate::comm::Communicator;
use crate::error::DistError;
use crate::step::{CommStats, DistributedStepper, param_hash, verify_identical};

/// One-step-ahead prediction of `sin(0.3 t)` by an Elman RNN (1 input,
/// `hidden` units, 1 output), mean squared error after a washout of 10 steps.
#[derive(Debug, Clone)]
pub struct SineRnn {
    net: Rnn<f64>,
    ws: RnnWorkspace<f64>,
    inputs: Mat<f64>,
    targets: Mat<f64>,
    washout: usize,
}

impl SineRnn {
    /// The problem with `hidden` units over `len` time steps (`len > 10`);
    /// the network is drawn from `seed`.
    pub fn new(hidden: usize, len: usize, seed: u64) -> Self {
        let net = Rnn::new(1, hidden, 1, &RnnInit::with_seed(seed)).expect("valid RNN sizes");
        let ws = RnnWorkspace::new(&net);
        let wave = |t: usize| (0.3 * t as f64).sin();
        Self {
            inputs: Mat::from_fn(len, 1, |t, _| wave(t)),
            targets: Mat::from_fn(len, 1, |t, _| wave(t + 1)),
            washout: 10.min(len.saturating_sub(1)),
            ws,
            net,
        }
    }

    /// The network's initial parameters.
    pub fn initial_params(&self) -> Vec<f64> {
        self.net.params().to_vec()
    }

    /// The loss at `params` (NaN if the network rejects them).
    pub fn loss(&mut self, params: &[f64]) -> f64 {
        self.net.params_mut().copy_from_slice(params);
        self.net
            .loss(
                self.inputs.as_ref(),
                self.targets.as_ref(),
                self.washout,
                &mut self.ws,
            )
            .unwrap_or(f64::NAN)
    }
}

/// Which rule [`DemoSpec`] trains with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoRule {
    /// Weight perturbation.
    Wp,
    /// Dopamine-1.
    Dopamine1,
    /// Dopamine-2 with `lambda = 0.5`.
    Dopamine2,
}

impl DemoRule {
    /// Parses `wp`, `d1` or `d2`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "wp" => Some(Self::Wp),
            "d1" => Some(Self::Dopamine1),
            "d2" => Some(Self::Dopamine2),
            _ => None,
        }
    }
}

/// A complete training run: problem size, rule and settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoSpec {
    /// Hidden units of the RNN.
    pub hidden: usize,
    /// Sequence length.
    pub len: usize,
    /// The rule.
    pub rule: DemoRule,
    /// Probes per step, K.
    pub probes: usize,
    /// Forward or antithetic RPE.
    pub rpe: RpeMode,
    /// Steps to run.
    pub steps: u64,
    /// Seed of the network and of the noise.
    pub seed: u64,
}

impl Default for DemoSpec {
    fn default() -> Self {
        Self {
            hidden: 8,
            len: 100,
            rule: DemoRule::Dopamine1,
            probes: 8,
            rpe: RpeMode::Forward,
            steps: 50,
            seed: 3,
        }
    }
}

impl DemoSpec {
    fn config(&self) -> PerturbConfig<f64> {
        PerturbConfig {
            sigma: 1e-3,
            eta: match self.rule {
                DemoRule::Wp => 0.05,
                DemoRule::Dopamine1 | DemoRule::Dopamine2 => 0.01,
            },
            probes: self.probes,
            rpe: self.rpe,
            schedule: EtaSchedule::Cosine {
                total_steps: self.steps.max(1),
                final_fraction: 0.1,
            },
            seed: self.seed,
            ..Default::default()
        }
    }
}

/// What a run ended with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoResult {
    /// [`param_hash`] of the final parameters.
    pub hash: u64,
    /// The final loss.
    pub final_loss: f64,
    /// Steps that were rejected by the safety net.
    pub rejected: u64,
    /// Communication counters (zero for a single-process run).
    pub comm: CommStats,
}

/// How to step the optimizer: in one process, or distributed over `comm`.
enum Mode<'a, C: ?Sized> {
    Single,
    Distributed { comm: &'a C, verify_each_step: bool },
}

fn run<R: UpdateRule<f64>, C: Communicator + ?Sized>(
    spec: &DemoSpec,
    rule: R,
    mode: Mode<'_, C>,
) -> Result<DemoResult, DistError> {
    let mut problem = SineRnn::new(spec.hidden, spec.len, spec.seed);
    let mut params = problem.initial_params();
    let mut opt = PerturbationOptimizer::new(spec.config(), rule, params.len())?;
    let mut stepper = DistributedStepper::new(params.len());
    let mut rejected = 0;
    for _ in 0..spec.steps {
        let loss = |p: &[f64]| problem.loss(p);
        let outcome = match mode {
            Mode::Single => opt.step(&mut params, loss)?,
            Mode::Distributed {
                comm,
                verify_each_step,
            } => {
                let outcome = stepper.step(&mut opt, &mut params, loss, comm)?;
                if verify_each_step {
                    verify_identical(&params, comm)?;
                }
                outcome
            }
        };
        if let StepOutcome::Rejected(_) = outcome {
            rejected += 1;
        }
    }
    Ok(DemoResult {
        hash: param_hash(&params),
        final_loss: problem.loss(&params),
        rejected,
        comm: *stepper.stats(),
    })
}

fn run_rule<C: Communicator + ?Sized>(
    spec: &DemoSpec,
    mode: Mode<'_, C>,
) -> Result<DemoResult, DistError> {
    let dim = Rnn::<f64>::param_count(1, spec.hidden, 1);
    match spec.rule {
        DemoRule::Wp => run(spec, WpRule::new(WpConfig::default()), mode),
        DemoRule::Dopamine1 => run(spec, Dopamine1Rule::default(), mode),
        DemoRule::Dopamine2 => run(
            spec,
            Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, vec![0.0; dim]),
            mode,
        ),
    }
}

/// The reference: the run in one process with [`PerturbationOptimizer::step`].
pub fn train_single(spec: &DemoSpec) -> Result<DemoResult, DistError> {
    run_rule::<crate::LocalCommunicator>(spec, Mode::Single)
}

/// The same run with [`DistributedStepper`] over `comm`; with
/// `verify_each_step` the parameter hashes are compared across the ranks
/// after every step.
pub fn train_distributed<C: Communicator + ?Sized>(
    spec: &DemoSpec,
    comm: &C,
    verify_each_step: bool,
) -> Result<DemoResult, DistError> {
    run_rule(
        spec,
        Mode::Distributed {
            comm,
            verify_each_step,
        },
    )
}
