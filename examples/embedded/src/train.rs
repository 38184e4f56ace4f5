//! The training loop: Dopamine-2 through ask/tell, one loss evaluation at a time.
//!
//! Every exchange is `ask` (the optimizer moves the parameters to the point
//! it wants evaluated), one forward pass by the [`Task`], and `tell` (the
//! optimizer restores, updates or undoes). After each accepted baseline —
//! the parameters are then unperturbed — the task decides whether it is
//! done. Optionally, every `every`-th loss is replaced by NaN before `tell`
//! sees it ([`NanInjection`]): the kernel's safety net must reject each one
//! and keep the parameters finite.

use dopamine_core::{Dopamine2, Error, Rejection, Told};

/// What the task says after an accepted baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Keep training.
    Continue,
    /// The goal is reached; stop.
    Done,
}

/// A model and its data, seen by the loop only through losses.
pub trait Task {
    /// The loss at `params` (as `ask` left them: perturbed or not).
    fn loss(&mut self, params: &[f32]) -> f32;

    /// Called right after the baseline loss of step `step` was accepted,
    /// with the unperturbed parameters; may evaluate more (e.g. a
    /// validation set) and decides whether training is done.
    fn check(&mut self, params: &[f32], step: u64) -> Check;
}

/// Replace the loss of every `every`-th evaluation (1-based) by NaN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NanInjection {
    /// Period, in loss evaluations; at least 2.
    pub every: u64,
}

impl NanInjection {
    fn hits(self, evaluation: u64) -> bool {
        self.every >= 2 && evaluation % self.every == 0
    }
}

/// How long to train and how often to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Give up after this many optimizer steps (kept or rejected).
    pub max_steps: u64,
    /// Report the baseline loss every this many steps (0: never).
    pub log_every: u64,
}

/// One progress report (an accepted baseline at a multiple of `log_every`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Steps done so far.
    pub step: u64,
    /// Loss evaluations done so far.
    pub evaluations: u64,
    /// The training loss at the unperturbed parameters.
    pub loss: f32,
    /// Rejected steps so far.
    pub rejections: u64,
}

/// Rejected steps, by the kernel's reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rejections {
    /// [`Rejection::UpdateUndone`]: non-finite loss right after an update.
    pub update_undone: u64,
    /// [`Rejection::NonFiniteBaseline`]: non-finite loss with nothing to undo.
    pub non_finite_baseline: u64,
    /// [`Rejection::NonFiniteProbe`]: non-finite loss at a probe.
    pub non_finite_probe: u64,
    /// [`Rejection::UpdateTooLarge`]: an update that would overflow.
    pub update_too_large: u64,
}

impl Rejections {
    /// All rejections.
    pub fn total(&self) -> u64 {
        self.update_undone + self.non_finite_baseline + self.non_finite_probe + self.update_too_large
    }

    fn count(&mut self, why: Rejection) {
        match why {
            Rejection::UpdateUndone => self.update_undone += 1,
            Rejection::NonFiniteBaseline => self.non_finite_baseline += 1,
            Rejection::NonFiniteProbe => self.non_finite_probe += 1,
            Rejection::UpdateTooLarge => self.update_too_large += 1,
        }
    }
}

/// How a run ended and what it cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The task said [`Check::Done`] before the step limit.
    pub done: bool,
    /// Optimizer steps taken (kept and rejected).
    pub steps: u64,
    /// Loss evaluations handed to `tell` (the task's own extra evaluations,
    /// such as validation passes, are not included).
    pub evaluations: u64,
    /// The last accepted baseline loss.
    pub last_loss: f32,
    /// Rejected steps by reason.
    pub rejections: Rejections,
    /// NaN losses injected.
    pub injected: u64,
    /// Exchanges after which some parameter was not finite (must stay 0).
    pub non_finite_params: u64,
}

/// Trains `params` on `task` with `opt` until the task is done or the step
/// limit is reached, calling `log` with each progress report.
///
/// Errors: those of `ask` and `tell` (wrong length, parameters that are not
/// finite at a baseline).
pub fn train<S, T, L>(
    opt: &mut Dopamine2<f32, S>,
    params: &mut [f32],
    task: &mut T,
    limits: Limits,
    inject: Option<NanInjection>,
    mut log: L,
) -> Result<Summary, Error>
where
    S: AsRef<[f32]> + AsMut<[f32]>,
    T: Task,
    L: FnMut(&Progress),
{
    let mut summary = Summary {
        done: false,
        steps: 0,
        evaluations: 0,
        last_loss: f32::NAN,
        rejections: Rejections::default(),
        injected: 0,
        non_finite_params: 0,
    };
    while opt.step_index() < limits.max_steps {
        opt.ask(params)?;
        let mut loss = task.loss(params);
        summary.evaluations += 1;
        if inject.is_some_and(|i| i.hits(summary.evaluations)) {
            loss = f32::NAN;
            summary.injected += 1;
        }
        match opt.tell(params, loss)? {
            Told::Baseline { loss } => {
                let step = opt.step_index();
                summary.last_loss = loss;
                if limits.log_every > 0 && step % limits.log_every == 0 {
                    log(&Progress {
                        step,
                        evaluations: summary.evaluations,
                        loss,
                        rejections: summary.rejections.total(),
                    });
                }
                if task.check(params, step) == Check::Done {
                    summary.done = true;
                    break;
                }
            }
            Told::Probed | Told::Updated(_) => {}
            Told::Rejected(why) => summary.rejections.count(why),
        }
        if params.iter().any(|w| !w.is_finite()) {
            summary.non_finite_params += 1;
        }
    }
    summary.steps = opt.step_index();
    Ok(summary)
}
