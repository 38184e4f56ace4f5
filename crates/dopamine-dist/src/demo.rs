//! A fixed training problem shared by the `dist_check` binary, the `mpirun`
//! tests and the scaling benchmark: an Elman RNN predicting the next value of
//! a sine wave, trained by WP, Dopamine-1, Dopamine-2 or OpenES through
//! `dopamine-train`'s trainer, in one process or over the ranks of a
//! [`Communicator`], with checkpoints and resume.

use core::fmt;
use std::time::Duration;

use dopamine_core::{
    AdaptiveCoding, Dopamine1Rule, Dopamine2Rule, EtaSchedule, OpenEsConfig, OpenEsRule,
    PerturbConfig, PerturbationOptimizer, RpeMode, WpConfig, WpRule,
};
use dopamine_nets::{Rnn, RnnInit, RnnWorkspace};
use dopamine_train::{
    Budget, CheckpointFailure, CheckpointPolicy, Control, Objective, Observer, Optimizer, Record,
    TrainError, TrainSpec, Trainer,
};
use faer::Mat;

use crate::comm::{Communicator, LocalCommunicator};
use crate::error::DistError;
use crate::run::{DistributedRun, load_latest_shared};
use crate::step::{CommStats, param_hash, verify_identical};

/// One-step-ahead prediction of `sin(0.3 t)` by an Elman RNN (1 input,
/// `hidden` units, 1 output), mean squared error after a washout of 10 steps.
///
/// As an [`Objective`] it prefers population steps (every point of a step
/// evaluated one by one with [`Objective::loss_at`]), so a run in one
/// process charges and records its steps exactly as a distributed run does.
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
    pub fn loss_of(&mut self, params: &[f64]) -> f64 {
        self.net
            .loss_at(
                params,
                self.inputs.as_ref(),
                self.targets.as_ref(),
                self.washout,
                &mut self.ws,
            )
            .unwrap_or(f64::NAN)
    }
}

impl Objective<f64> for SineRnn {
    fn params(&self) -> &[f64] {
        self.net.params()
    }
    fn params_mut(&mut self) -> &mut [f64] {
        self.net.params_mut()
    }
    fn loss(&mut self) -> f64 {
        self.net
            .loss(
                self.inputs.as_ref(),
                self.targets.as_ref(),
                self.washout,
                &mut self.ws,
            )
            .unwrap_or(f64::NAN)
    }
    fn loss_at(&mut self, params: &[f64]) -> f64 {
        self.loss_of(params)
    }
    fn prefers_population(&self) -> bool {
        true
    }
}

/// Which optimizer [`DemoSpec`] trains with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoRule {
    /// Weight perturbation.
    Wp,
    /// Dopamine-1.
    Dopamine1,
    /// Dopamine-2 with `lambda = 0.5`.
    Dopamine2,
    /// OpenES (always antithetic, without a baseline).
    OpenEs,
}

impl DemoRule {
    /// Every rule, in the order `dist_check --rule` lists them.
    pub const ALL: [DemoRule; 4] = [
        DemoRule::Wp,
        DemoRule::Dopamine1,
        DemoRule::Dopamine2,
        DemoRule::OpenEs,
    ];

    /// Parses `wp`, `d1`, `d2` or `openes`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "wp" => Some(Self::Wp),
            "d1" => Some(Self::Dopamine1),
            "d2" => Some(Self::Dopamine2),
            "openes" => Some(Self::OpenEs),
            _ => None,
        }
    }

    /// The name [`DemoRule::parse`] reads.
    pub fn flag(self) -> &'static str {
        match self {
            Self::Wp => "wp",
            Self::Dopamine1 => "d1",
            Self::Dopamine2 => "d2",
            Self::OpenEs => "openes",
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
    /// Probes per step, K (pairs for OpenES).
    pub probes: usize,
    /// Forward or antithetic RPE (OpenES is always antithetic).
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
        let base = match self.rule {
            DemoRule::OpenEs => PerturbConfig::antithetic(),
            _ => PerturbConfig {
                rpe: self.rpe,
                ..Default::default()
            },
        };
        PerturbConfig {
            sigma: 1e-3,
            eta: match self.rule {
                DemoRule::Wp => 0.05,
                DemoRule::Dopamine1 | DemoRule::Dopamine2 | DemoRule::OpenEs => 0.01,
            },
            probes: self.probes,
            schedule: EtaSchedule::Cosine {
                total_steps: self.steps.max(1),
                final_fraction: 0.1,
            },
            seed: self.seed,
            ..base
        }
    }

    /// The optimizer of this run, fresh, for `dim` parameters.
    pub fn optimizer(&self, dim: usize) -> Result<Box<dyn Optimizer<f64>>, TrainError> {
        let config = self.config();
        Ok(match self.rule {
            DemoRule::Wp => Box::new(PerturbationOptimizer::new(
                config,
                WpRule::new(WpConfig::default()),
                dim,
            )?),
            DemoRule::Dopamine1 => Box::new(PerturbationOptimizer::new(
                config,
                Dopamine1Rule::default(),
                dim,
            )?),
            DemoRule::Dopamine2 => Box::new(PerturbationOptimizer::new(
                config,
                Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, vec![0.0; dim]),
                dim,
            )?),
            DemoRule::OpenEs => Box::new(PerturbationOptimizer::new(
                config,
                OpenEsRule::new(OpenEsConfig::default(), vec![0.0; 2 * dim]),
                dim,
            )?),
        })
    }

    /// How the trainer drives it: `steps` steps, a record every step.
    pub fn train_spec(&self) -> TrainSpec {
        TrainSpec {
            budget: Budget::steps(self.steps),
            record_every: 1,
            ..Default::default()
        }
    }
}

/// How a demo run is driven besides its [`DemoSpec`].
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Write checkpoints (from rank 0) as this policy says.
    pub checkpoints: Option<CheckpointPolicy>,
    /// Resume from the newest valid checkpoint in the policy's folder when
    /// there is one (a missing or empty folder starts afresh).
    pub resume: bool,
    /// Compare the parameter hashes of the ranks after every step.
    pub verify_each_step: bool,
    /// Sleep this long after every step (on every rank), so a test can kill
    /// the run while it trains; the values are not affected.
    pub throttle: Option<Duration>,
    /// Called on rank 0 when a checkpoint cannot be written (the binary
    /// prints it); the failures are also in [`DemoResult`].
    pub on_checkpoint_failure: Option<fn(&CheckpointFailure)>,
}

/// What a run ended with.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoResult {
    /// [`param_hash`] of the final parameters.
    pub hash: u64,
    /// The final loss.
    pub final_loss: f64,
    /// Steps done (the whole run's, resumed sessions included).
    pub steps: u64,
    /// Steps that were rejected by the safety net.
    pub rejected: u64,
    /// The step of the checkpoint this session resumed from, if any.
    pub resumed_from: Option<u64>,
    /// Newer checkpoint files that were passed over on resume, with why.
    pub skipped: Vec<String>,
    /// Checkpoints that could not be written (rank 0's list).
    pub checkpoint_failures: Vec<CheckpointFailure>,
    /// Communication counters (zero for a single-process run).
    pub comm: CommStats,
}

/// What can stop a demo run.
#[derive(Debug)]
pub enum DemoError {
    /// The trainer, the optimizer or a checkpoint failed.
    Train(TrainError),
    /// The ranks' parameters diverged.
    Dist(DistError),
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Train(e) => write!(f, "{e}"),
            Self::Dist(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DemoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Train(e) => Some(e),
            Self::Dist(e) => Some(e),
        }
    }
}

impl From<TrainError> for DemoError {
    fn from(e: TrainError) -> Self {
        Self::Train(e)
    }
}

impl From<DistError> for DemoError {
    fn from(e: DistError) -> Self {
        Self::Dist(e)
    }
}

/// The observer of a demo run: hash checks, throttling, failure reports.
struct DemoObserver<'c, C: ?Sized> {
    comm: Option<&'c C>,
    options: &'c RunOptions,
    diverged: Option<DistError>,
}

impl<C: Communicator + ?Sized> Observer<SineRnn> for DemoObserver<'_, C> {
    fn observe(&mut self, _record: &Record, objective: &mut SineRnn) -> Control {
        if let Some(pause) = self.options.throttle {
            std::thread::sleep(pause);
        }
        if let (Some(comm), true) = (self.comm, self.options.verify_each_step) {
            if let Err(e) = verify_identical(objective.params(), comm) {
                self.diverged = Some(e);
                return Control::Stop;
            }
        }
        Control::Continue
    }

    fn checkpoint_failed(&mut self, failure: &CheckpointFailure) {
        if let Some(report) = self.options.on_checkpoint_failure {
            report(failure);
        }
    }
}

/// Trains `spec` in one process with the trainer's own step, the
/// reference a distributed run must match bit for bit.
pub fn train_single(spec: &DemoSpec, options: &RunOptions) -> Result<DemoResult, DemoError> {
    run::<LocalCommunicator>(spec, None, options)
}

/// Trains `spec` over the ranks of `comm` (every rank calls it): the
/// trainer's loop with [`DistributedRun`]'s step, checkpoints written by
/// rank 0 and resumed from rank 0's folder.
pub fn train_distributed<C: Communicator + ?Sized>(
    spec: &DemoSpec,
    comm: &C,
    options: &RunOptions,
) -> Result<DemoResult, DemoError> {
    run(spec, Some(comm), options)
}

fn run<C: Communicator + ?Sized>(
    spec: &DemoSpec,
    comm: Option<&C>,
    options: &RunOptions,
) -> Result<DemoResult, DemoError> {
    let mut objective = SineRnn::new(spec.hidden, spec.len, spec.seed);
    let dim = objective.params().len();
    let mut resumed_from = None;
    let mut skipped = Vec::new();
    let found = match (&options.checkpoints, options.resume) {
        (Some(policy), true) => match comm {
            Some(comm) => load_latest_shared::<f64, C>(&policy.dir, comm)?,
            None => load_latest_shared::<f64, _>(&policy.dir, &LocalCommunicator)?,
        },
        _ => None,
    };
    let mut trainer = match found {
        Some(loaded) => {
            resumed_from = Some(loaded.checkpoint.step());
            skipped = loaded
                .skipped
                .iter()
                .map(|s| format!("{}: {}", s.path.display(), s.error))
                .collect();
            Trainer::resume(loaded.checkpoint, spec.optimizer(dim)?, &mut objective)?
        }
        None => Trainer::new(spec.optimizer(dim)?, spec.train_spec())?,
    };
    if let Some(policy) = &options.checkpoints {
        trainer = trainer.with_checkpoints(policy.clone())?;
    }
    let mut observer = DemoObserver {
        comm,
        options,
        diverged: None,
    };
    let (run, stats) = match comm {
        Some(comm) => {
            let mut ranks = DistributedRun::new(comm, dim);
            let run = trainer.run_with(&mut objective, &mut observer, &mut ranks)?;
            (run, *ranks.stats())
        }
        None => (
            trainer.run(&mut objective, &mut observer)?,
            CommStats::default(),
        ),
    };
    if let Some(e) = observer.diverged {
        return Err(e.into());
    }
    let hash = match comm {
        Some(comm) => verify_identical(objective.params(), comm)?,
        None => param_hash(objective.params()),
    };
    Ok(DemoResult {
        hash,
        final_loss: objective.loss(),
        steps: run.last.step,
        rejected: run.last.rejected_steps,
        resumed_from,
        skipped,
        checkpoint_failures: run.checkpoint_failures,
        comm: stats,
    })
}
