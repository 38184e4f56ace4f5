//! The training loop: Dopamine-2 through ask/tell, one loss evaluation at a time.
//!
//! Every exchange is `ask` (the optimizer moves the parameters to the point
//! it wants evaluated), one forward pass by the [`Task`], and `tell` (the
//! optimizer restores, updates or undoes). After each accepted baseline —
//! the parameters are then unperturbed — the task decides whether it is
//! done. Optionally, the loss of some steps is replaced by NaN before `tell`
//! sees it ([`NanInjection`]): the kernel's safety net must reject each one
//! and keep the parameters finite.

use dopamine_core::{Dopamine2, Error, Query, Rejection, Side, Told};

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

/// Replace a loss by NaN at steps `first`, `first + every`, `first + 2 every`, ...:
/// at the baseline on the even-numbered of these steps (the first, the
/// third, ...), at the first probe on the others, once per step.
///
/// A NaN at the baseline right after an update makes the kernel undo that
/// update ([`Rejection::UpdateUndone`]); a NaN at a probe makes it abandon
/// the step ([`Rejection::NonFiniteProbe`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NanInjection {
    /// The first step to poison.
    pub first: u64,
    /// Steps between two poisoned steps; at least 1.
    pub every: u64,
}

impl NanInjection {
    /// Where step `step` gets its NaN, if it gets one.
    pub fn target(self, step: u64) -> Option<Query> {
        if self.every == 0 || step < self.first || (step - self.first) % self.every != 0 {
            return None;
        }
        Some(if ((step - self.first) / self.every) % 2 == 0 {
            Query::Baseline
        } else {
            Query::Probe {
                probe: 0,
                side: Side::Plus,
            }
        })
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
    /// Which attempt (from 0) of a run that restarts; 0 otherwise.
    pub attempt: u32,
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
        self.update_undone
            + self.non_finite_baseline
            + self.non_finite_probe
            + self.update_too_large
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
    /// Time inside `ask` and `tell`, in the units of the caller's clock.
    pub kernel_time: u64,
    /// Time in the task's loss evaluations.
    pub loss_time: u64,
    /// Time in the task's checks (e.g. validation passes).
    pub check_time: u64,
}

impl Summary {
    /// Adds the costs and counts of a later attempt; its ending and last loss replace ours.
    pub fn absorb(&mut self, later: &Summary) {
        self.done = later.done;
        self.steps += later.steps;
        self.evaluations += later.evaluations;
        self.last_loss = later.last_loss;
        let (r, l) = (&mut self.rejections, &later.rejections);
        r.update_undone += l.update_undone;
        r.non_finite_baseline += l.non_finite_baseline;
        r.non_finite_probe += l.non_finite_probe;
        r.update_too_large += l.update_too_large;
        self.injected += later.injected;
        self.non_finite_params += later.non_finite_params;
        self.kernel_time += later.kernel_time;
        self.loss_time += later.loss_time;
        self.check_time += later.check_time;
    }
}

/// A monotonic clock read around each part of an exchange, to split the
/// cost between the kernel and the task (any unit; [`NoClock`] when not timed).
pub trait Clock {
    /// The current time.
    fn now(&mut self) -> u64;
}

/// A clock that always reads 0.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClock;

impl Clock for NoClock {
    fn now(&mut self) -> u64 {
        0
    }
}

/// Trains `params` on `task` with `opt` until the task is done or the step
/// limit is reached, calling `log` with each progress report and timing the
/// kernel and the task with `clock`.
///
/// Errors: those of `ask` and `tell` (wrong length, parameters that are not
/// finite at a baseline).
pub fn train<S, T, C, L>(
    opt: &mut Dopamine2<f32, S>,
    params: &mut [f32],
    task: &mut T,
    limits: Limits,
    inject: Option<NanInjection>,
    clock: &mut C,
    mut log: L,
) -> Result<Summary, Error>
where
    S: AsRef<[f32]> + AsMut<[f32]>,
    T: Task,
    C: Clock,
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
        kernel_time: 0,
        loss_time: 0,
        check_time: 0,
    };
    // The last step that got its NaN: a rejected baseline is asked again
    // within the same step, and must then see its real loss.
    let mut poisoned: Option<u64> = None;
    while opt.step_index() < limits.max_steps {
        let t0 = clock.now();
        let query = opt.ask(params)?;
        let t1 = clock.now();
        let mut loss = task.loss(params);
        let t2 = clock.now();
        summary.evaluations += 1;
        let step = opt.step_index();
        if let Some(target) = inject.and_then(|i| i.target(step))
            && target == query
            && poisoned != Some(step)
        {
            loss = f32::NAN;
            summary.injected += 1;
            poisoned = Some(step);
        }
        let told = opt.tell(params, loss)?;
        let t3 = clock.now();
        summary.kernel_time += (t1 - t0) + (t3 - t2);
        summary.loss_time += t2 - t1;
        match told {
            Told::Baseline { loss } => {
                let step = opt.step_index();
                summary.last_loss = loss;
                if limits.log_every > 0 && step % limits.log_every == 0 {
                    log(&Progress {
                        attempt: 0,
                        step,
                        evaluations: summary.evaluations,
                        loss,
                        rejections: summary.rejections.total(),
                    });
                }
                let t4 = clock.now();
                let done = task.check(params, step) == Check::Done;
                summary.check_time += clock.now() - t4;
                if done {
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

#[cfg(test)]
mod tests {
    use super::*;
    use dopamine_core::{AdaptiveCoding, Dopamine2Rule, PerturbConfig};

    /// A quadratic bowl `|w - 1|^2`, done when its loss is below `goal`.
    struct Bowl {
        goal: f32,
    }

    impl Task for Bowl {
        fn loss(&mut self, params: &[f32]) -> f32 {
            params.iter().map(|w| (w - 1.0) * (w - 1.0)).sum()
        }

        fn check(&mut self, params: &[f32], _step: u64) -> Check {
            if self.loss(params) < self.goal {
                Check::Done
            } else {
                Check::Continue
            }
        }
    }

    /// Advances by one at every reading.
    struct Ticker(u64);

    impl Clock for Ticker {
        fn now(&mut self) -> u64 {
            self.0 += 1;
            self.0
        }
    }

    fn optimizer(trace: &mut [f32]) -> Dopamine2<f32, &mut [f32]> {
        let config = PerturbConfig {
            sigma: 1e-2,
            eta: 0.05,
            seed: 3,
            ..PerturbConfig::default()
        };
        let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, trace);
        Dopamine2::new(config, rule, 4).unwrap()
    }

    #[test]
    fn injection_alternates_baseline_and_probe() {
        let i = NanInjection { first: 3, every: 5 };
        let hits: Vec<(u64, Query)> = (0..20)
            .filter_map(|s| i.target(s).map(|q| (s, q)))
            .collect();
        let probe = Query::Probe {
            probe: 0,
            side: Side::Plus,
        };
        assert_eq!(
            hits,
            [
                (3, Query::Baseline),
                (8, probe),
                (13, Query::Baseline),
                (18, probe)
            ]
        );
        assert_eq!(NanInjection { first: 0, every: 0 }.target(0), None);
    }

    #[test]
    fn every_injected_nan_is_rejected_and_training_still_succeeds() {
        let mut trace = [0.0f32; 4];
        let mut opt = optimizer(&mut trace);
        let mut w = [0.0f32; 4];
        let limits = Limits {
            max_steps: 2_000,
            log_every: 100,
        };
        let inject = Some(NanInjection { first: 1, every: 7 });
        let mut logged = 0;
        let mut clock = Ticker(0);
        let s = train(
            &mut opt,
            &mut w,
            &mut Bowl { goal: 1e-2 },
            limits,
            inject,
            &mut clock,
            |p| {
                assert!(p.loss.is_finite());
                logged += 1;
            },
        )
        .unwrap();
        assert!(s.done, "{s:?}");
        assert!(s.injected > 10, "{s:?}");
        let r = s.rejections;
        // Both kinds of position were hit: a probe, and a baseline after an update.
        assert!(r.non_finite_probe > 0 && r.update_undone > 0, "{r:?}");
        assert_eq!(
            r.update_undone + r.non_finite_baseline + r.non_finite_probe,
            s.injected
        );
        assert_eq!(s.non_finite_params, 0);
        assert!(w.iter().all(|x| x.is_finite()));
        assert_eq!(s.evaluations, opt.counters().forward_passes);
        assert!(logged > 0);
        // The clock ticks once per reading: four readings per exchange, and
        // two around each accepted baseline's check.
        assert_eq!(s.kernel_time, 2 * s.evaluations);
        assert_eq!(s.loss_time, s.evaluations);
    }

    #[test]
    fn the_step_limit_ends_a_run_that_cannot_finish() {
        let mut trace = [0.0f32; 4];
        let mut opt = optimizer(&mut trace);
        let mut w = [0.0f32; 4];
        let limits = Limits {
            max_steps: 50,
            log_every: 0,
        };
        let s = train(
            &mut opt,
            &mut w,
            &mut Bowl { goal: -1.0 },
            limits,
            None,
            &mut NoClock,
            |_| panic!("log_every = 0 must not log"),
        )
        .unwrap();
        assert!(!s.done);
        assert_eq!(s.steps, 50);
        assert_eq!(s.evaluations, 100);
        assert_eq!(s.rejections.total(), 0);
    }
}
