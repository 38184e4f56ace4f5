//! The two training runs the firmware makes, with the settings it uses.
//!
//! Both the firmware (on the chip) and the host sweep (`examples/sweep.rs`,
//! which chose these settings) call [`run_xor`] and [`run_rnn`], so a run on
//! the host with the same settings and seed is the same computation
//! (`f32` arithmetic and `libm` are the same on both; the chip has no
//! fused multiply-add in this code, as Rust never contracts `a * b + c`).

use dopamine_core::{AdaptiveCoding, Dopamine2, Dopamine2Rule, EtaSchedule, Error, PerturbConfig};

use crate::mackey_glass;
use crate::rnn::{self, RnnTask, Scores};
use crate::train::{Limits, NanInjection, Progress, Summary, train};
use crate::xor::{self, XorTask};

/// Every `NAN_EVERY`-th loss evaluation is replaced by NaN when the
/// `inject-nan` feature is on (a prime, so the NaN falls on baselines and
/// probes alike).
pub const NAN_EVERY: u64 = 37;

/// Settings of a Dopamine-2 run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Perturbation scale.
    pub sigma: f32,
    /// Base learning rate.
    pub eta: f32,
    /// Trace decay.
    pub lambda: f32,
    /// Factor of the RPE averages.
    pub beta: f32,
    /// Probes per step.
    pub probes: usize,
    /// Cosine decay of `eta` to this fraction over `max_steps` (`None`: constant).
    pub cosine_to: Option<f32>,
    /// Seed of the initial weights.
    pub init_seed: u64,
    /// Seed of the optimizer's noise.
    pub noise_seed: u64,
    /// Give up after this many steps.
    pub max_steps: u64,
    /// Report the loss every this many steps.
    pub log_every: u64,
}

impl Settings {
    /// The kernel's configuration for these settings.
    pub fn perturb_config(&self) -> PerturbConfig<f32> {
        let schedule = match self.cosine_to {
            Some(final_fraction) => EtaSchedule::Cosine {
                total_steps: self.max_steps,
                final_fraction,
            },
            None => EtaSchedule::Constant,
        };
        PerturbConfig {
            sigma: self.sigma,
            eta: self.eta,
            probes: self.probes,
            seed: self.noise_seed,
            schedule,
            ..PerturbConfig::default()
        }
    }

    /// The adaptive coding of the RPE (default `eps` and bias correction).
    pub fn coding(&self) -> AdaptiveCoding<f32> {
        AdaptiveCoding {
            beta: self.beta,
            ..AdaptiveCoding::default()
        }
    }
}

/// XOR: the settings of experiment E1's Dopamine-2 on 2-2-1 (`sigma = 0.01`,
/// `lambda = 0.5`, `beta = 0.9`, one probe, constant `eta`) with `eta` and
/// the seed chosen by the host sweep (see the README).
pub const XOR: Settings = Settings {
    sigma: 0.01,
    eta: 0.1,
    lambda: 0.5,
    beta: 0.9,
    probes: 1,
    cosine_to: None,
    init_seed: 0,
    noise_seed: 0,
    max_steps: 5_000,
    log_every: 100,
};

/// Mackey-Glass: experiment E2's Dopamine-2 settings (`lambda = 0.5`,
/// `beta = 0.9`, one probe, cosine decay to 1%) with `sigma`, `eta` and the
/// seed chosen by the host sweep (see the README).
pub const RNN: Settings = Settings {
    sigma: 0.001,
    eta: 0.003,
    lambda: 0.5,
    beta: 0.9,
    probes: 1,
    cosine_to: Some(0.01),
    init_seed: 0,
    noise_seed: 0,
    max_steps: 20_000,
    log_every: 500,
};

/// Validation passes of the RNN run: one every this many steps.
pub const RNN_CHECK_EVERY: u64 = 50;

/// The NaN injection of a run (`inject`: the `inject-nan` feature).
pub fn injection(inject: bool) -> Option<NanInjection> {
    inject.then_some(NanInjection { every: NAN_EVERY })
}

/// How the XOR run ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct XorOutcome {
    /// The training loop's summary.
    pub summary: Summary,
    /// The trained parameters.
    pub params: [f32; xor::PARAMS],
    /// The outputs for the four patterns at the trained parameters.
    pub outputs: [f32; 4],
}

impl XorOutcome {
    /// Solved within the step limit, with every safety-net condition met
    /// (no parameter ever non-finite; with injection, every NaN rejected).
    pub fn success(&self, injected: bool) -> bool {
        self.summary.done && xor::solved(&self.outputs) && safety_net_held(&self.summary, injected)
    }
}

/// `true` when no parameter was ever non-finite and, if NaN losses were
/// injected, at least one was seen and every one was rejected.
pub fn safety_net_held(s: &Summary, injected: bool) -> bool {
    let nan_rejections = s.rejections.update_undone
        + s.rejections.non_finite_baseline
        + s.rejections.non_finite_probe;
    let injection_ok = if injected {
        s.injected > 0 && nan_rejections == s.injected
    } else {
        s.injected == 0
    };
    s.non_finite_params == 0 && injection_ok
}

/// Trains the XOR network with Dopamine-2, its trace stored in `trace`
/// (`xor::PARAMS` values).
pub fn run_xor<S, L>(
    settings: &Settings,
    trace: S,
    inject: Option<NanInjection>,
    log: L,
) -> Result<XorOutcome, Error>
where
    S: AsRef<[f32]> + AsMut<[f32]>,
    L: FnMut(&Progress),
{
    let mut params = xor::init(settings.init_seed);
    let rule = Dopamine2Rule::new(settings.coding(), settings.lambda, trace);
    let mut opt = Dopamine2::new(settings.perturb_config(), rule, params.len())?;
    let mut task = XorTask::new();
    let limits = Limits {
        max_steps: settings.max_steps,
        log_every: settings.log_every,
    };
    let summary = train(&mut opt, &mut params, &mut task, limits, inject, log)?;
    let mut outputs = [0.0f32; 4];
    for (y, x) in outputs.iter_mut().zip(xor::INPUTS) {
        *y = xor::forward(&params, x);
    }
    Ok(XorOutcome {
        summary,
        params,
        outputs,
    })
}

/// How the RNN run ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RnnOutcome {
    /// The training loop's summary.
    pub summary: Summary,
    /// Scores at the trained parameters (validation and test, with persistence).
    pub scores: Scores,
    /// Validation passes made (each one forward pass over the window).
    pub checks: u64,
}

impl RnnOutcome {
    /// Stopped by the validation rule within the step limit, and the test
    /// NRMSE, looked at once at the end, is below persistence's; with every
    /// safety-net condition met.
    pub fn success(&self, injected: bool) -> bool {
        self.summary.done
            && self.scores.test < self.scores.test_persistence
            && safety_net_held(&self.summary, injected)
    }
}

/// Generates the Mackey-Glass window into `series` and normalises it.
pub fn mackey_glass_window(series: &mut [f32; rnn::WINDOW]) {
    mackey_glass::generate(series);
    rnn::normalise(series);
}

/// Trains the RNN with Dopamine-2 on a normalised window (see
/// [`mackey_glass_window`]), its trace stored in `trace` (`rnn::PARAMS` values).
pub fn run_rnn<S, L>(
    settings: &Settings,
    series: &[f32; rnn::WINDOW],
    trace: S,
    inject: Option<NanInjection>,
    log: L,
) -> Result<RnnOutcome, Error>
where
    S: AsRef<[f32]> + AsMut<[f32]>,
    L: FnMut(&Progress),
{
    let mut params = rnn::init(settings.init_seed);
    let rule = Dopamine2Rule::new(settings.coding(), settings.lambda, trace);
    let mut opt = Dopamine2::new(settings.perturb_config(), rule, params.len())?;
    let mut task = RnnTask::new(series, RNN_CHECK_EVERY);
    let limits = Limits {
        max_steps: settings.max_steps,
        log_every: settings.log_every,
    };
    let summary = train(&mut opt, &mut params, &mut task, limits, inject, log)?;
    Ok(RnnOutcome {
        summary,
        scores: rnn::score(&params, series),
        checks: task.checks(),
    })
}
