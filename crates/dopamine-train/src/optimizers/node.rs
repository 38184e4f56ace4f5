//! [`Dopamine3Optimizer`]: Dopamine-3 (node perturbation, per-step dopamine, eligibility traces) as an [`Optimizer`] — one step is one update interval of the model's lockstep passes, its rule, stream position and hidden states saved in its state, so a run checkpointed mid-sequence resumes bit for bit.
//!
//! **A step.** On an objective with hidden state (the RNN) one step runs
//! the time steps of one update interval: `C` steps, fewer where the
//! training sequence ends first (the sweep's last interval, applied at its
//! end), or the whole sweep when the rule updates once per sweep. On the
//! MLP (no hidden state) a step is one sweep over the batch, one pattern
//! per time step, with every update that falls due.
//!
//! **Passes.** A sweep of the two copies is two forward passes; they are
//! charged to the step that ends the sweep (the steps before it in the
//! same sweep report none), so a budget of forward passes counts whole
//! sweeps. The eligibility arithmetic and the updates are reported as
//! FLOPs beyond the passes ([`StepInfo::extra_flops`]), as the rule
//! counted them.
//!
//! **Schedules** are given in sweeps (a cosine decay over the run's sweeps,
//! a step decay every so many sweeps) and run over the rule's updates:
//! the rule is built once the objective's sweep length is known
//! ([`Optimizer::prepare`]), `ceil(T / C)` updates per sweep.

use dopamine_core::{Dopamine3Config, EtaSchedule, UpdateEvery};
use serde::{Deserialize, Serialize};

use crate::error::{CheckpointError, SpecError, TrainError};
use crate::float::Float;
use crate::node_model::{NodeRule, NodeStream};
use crate::objective::Objective;
use crate::optimizer::{Optimizer, StepInfo};
use crate::registry::StateViews;
use crate::state::{decode_state, encode_state};

/// Dopamine-3 on an objective with neurons ([`Objective::node_model`]):
/// see the module docs for what a step is and how it is charged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dopamine3Optimizer<T> {
    /// The rule's settings, its schedule in sweeps.
    config: Dopamine3Config<T>,
    /// Number of parameters.
    dim: usize,
    /// The rule, built at the first [`Optimizer::prepare`].
    rule: Option<NodeRule<T>>,
    /// Where the run is in the training data.
    stream: NodeStream<T>,
    /// The loss the last step reported.
    last_loss: f64,
}

impl<T: Float> Dopamine3Optimizer<T> {
    /// Dopamine-3 with `config` (its schedule counted in sweeps) for `dim`
    /// parameters. Every setting is checked here.
    ///
    /// # Errors
    /// [`TrainError::Optimizer`] for a setting the rule refuses (`sigma <=
    /// 0`, `lambda` outside `[0, 1)`, `C = 0`, ...).
    pub fn new(config: Dopamine3Config<T>, dim: usize) -> Result<Self, TrainError> {
        config.validate()?;
        Ok(Self {
            config,
            dim,
            rule: None,
            stream: NodeStream::default(),
            last_loss: f64::NAN,
        })
    }

    /// The settings (the schedule in sweeps).
    pub fn config(&self) -> &Dopamine3Config<T> {
        &self.config
    }

    /// The rule, once built (after the first step or
    /// [`Optimizer::prepare`]).
    pub fn rule(&self) -> Option<&NodeRule<T>> {
        self.rule.as_ref()
    }

    /// Where the run is in the training data.
    pub fn stream(&self) -> &NodeStream<T> {
        &self.stream
    }

    /// The rule's settings for a sweep of `sweep_len` steps: the schedule
    /// moved from sweeps to updates.
    pub fn rule_config(&self, sweep_len: usize) -> Dopamine3Config<T> {
        let per_sweep = match self.config.update_every {
            UpdateEvery::Steps(c) => (sweep_len as u64).div_ceil(u64::from(c.max(1))),
            UpdateEvery::Sweep => 1,
        }
        .max(1);
        let schedule = match self.config.schedule {
            EtaSchedule::Cosine {
                total_steps,
                final_fraction,
            } => EtaSchedule::Cosine {
                total_steps: total_steps.saturating_mul(per_sweep),
                final_fraction,
            },
            EtaSchedule::Step { every, factor } => EtaSchedule::Step {
                every: every.saturating_mul(per_sweep),
                factor,
            },
            EtaSchedule::Constant => EtaSchedule::Constant,
        };
        Dopamine3Config {
            schedule,
            ..self.config
        }
    }

    /// The learning rate of update `k`.
    fn eta_at(&self, k: u64) -> f64 {
        let config = self.rule.as_ref().map_or(&self.config, |r| r.config());
        (config.eta * config.schedule.factor(k)).to_f64()
    }
}

impl<T: Float> Optimizer<T> for Dopamine3Optimizer<T> {
    fn name(&self) -> &str {
        "Dopamine-3"
    }

    fn dim(&self) -> usize {
        self.dim
    }

    /// Builds the rule for the objective's neurons (once), and checks that
    /// a restored rule fits them.
    ///
    /// # Errors
    /// [`TrainError::NoNeurons`] for an objective without
    /// [`Objective::node_model`] (a loss closure); [`TrainError::Spec`]
    /// when the model's layout does not fit the optimizer.
    fn prepare(&mut self, objective: &mut dyn Objective<T>) -> Result<(), TrainError> {
        let model = objective.node_model()?;
        let layout = model.node_layout()?;
        if layout.params() != self.dim {
            return Err(SpecError::new(
                "dim",
                format!(
                    "Dopamine-3 was built for {} parameters, the model's neurons have {}",
                    self.dim,
                    layout.params()
                ),
            )
            .into());
        }
        let hidden = model.hidden_len();
        match &self.rule {
            Some(rule) if *rule.layout() != layout => {
                return Err(SpecError::new(
                    "layout",
                    "the Dopamine-3 state was made for another model's neurons",
                )
                .into());
            }
            Some(_) => {}
            None => {
                let config = self.rule_config(model.sweep_len());
                let storage = vec![T::ZERO; config.storage_len(&layout)];
                self.rule = Some(NodeRule::new(config, layout, storage)?);
            }
        }
        if self.stream.hidden_a.len() != hidden || self.stream.hidden_b.len() != hidden {
            if self.stream.position != 0 {
                return Err(SpecError::new(
                    "hidden",
                    "the Dopamine-3 stream's hidden states do not fit the model",
                )
                .into());
            }
            self.stream.hidden_a = vec![T::ZERO; hidden];
            self.stream.hidden_b = vec![T::ZERO; hidden];
        }
        Ok(())
    }

    /// One update interval (the RNN) or one sweep (the MLP); see the module docs.
    fn step(&mut self, objective: &mut dyn Objective<T>) -> Result<StepInfo, TrainError> {
        if self.rule.is_none() {
            self.prepare(objective)?;
        }
        let Some(rule) = self.rule.as_mut() else {
            return Err(TrainError::NoNeurons);
        };
        let max_steps = match rule.config().update_every {
            UpdateEvery::Steps(c) => {
                (u64::from(c).saturating_sub(rule.steps_in_interval())).max(1) as usize
            }
            UpdateEvery::Sweep => usize::MAX,
        };
        let before = *rule.counters();
        let part = objective
            .node_model()?
            .node_part(rule, &mut self.stream, max_steps)?;
        let after = *rule.counters();
        let updates = after.updates - before.updates;
        let rejected = after.rejected_updates - before.rejected_updates;
        if let Some(loss) = part.loss {
            self.last_loss = loss;
        }
        let k = rule.interval().saturating_sub(1);
        Ok(StepInfo {
            loss: self.last_loss,
            forward_passes: if part.ended_sweep { 2 } else { 0 },
            extra_flops: after.eligibility_flops - before.eligibility_flops,
            effective_eta: self.eta_at(k),
            rejected: rejected > 0 && updates == 0,
            ..Default::default()
        })
    }

    /// The learning rate of the next update.
    fn current_rate(&self) -> f64 {
        self.eta_at(self.rule.as_ref().map_or(0, |r| r.interval()))
    }

    fn save_state(&self) -> Result<Vec<u8>, CheckpointError> {
        encode_state(self)
    }

    fn load_state(&mut self, state: &[u8]) -> Result<(), CheckpointError> {
        let restored: Self = decode_state(state)?;
        if restored.dim != self.dim {
            return Err(CheckpointError::Invalid(format!(
                "a Dopamine-3 state for {} parameters, not {}",
                restored.dim, self.dim
            )));
        }
        if let Some(rule) = &restored.rule {
            let p = rule.layout().params();
            if p != self.dim || rule.config().storage_len(rule.layout()) != rule_len(rule) {
                return Err(CheckpointError::Invalid(
                    "the Dopamine-3 rule's storage does not fit its layout".into(),
                ));
            }
        }
        *self = restored;
        Ok(())
    }
}

/// Values of a rule's storage.
fn rule_len<T: Float>(rule: &NodeRule<T>) -> usize {
    rule.clone().into_storage().len()
}

/// Dopamine-3's state has no views for front ends (it has no Python class).
impl<T> StateViews<T> for Dopamine3Optimizer<T> {}
