//! What Dopamine-3 reports: its counters, a recorded step, an update's outcome, and the buffers of an open step.

use crate::node::update::UpdateRejection;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// What Dopamine-3 has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct NodeCounters {
    /// Time steps recorded (each is one step of both copies).
    pub steps: u64,
    /// Steps whose losses were not finite (or overflowed the adaptive
    /// coding): their signal was set to 0, so they give no credit.
    pub rejected_steps: u64,
    /// Updates applied.
    pub updates: u64,
    /// Updates refused (non-finite or too large); the weights and the
    /// second moments were left as they were and the traces cleared.
    pub rejected_updates: u64,
    /// Refused updates since the last applied one, for a caller's patience rule.
    pub consecutive_rejected_updates: u64,
    /// FLOPs of the eligibility arithmetic and the updates, counted as
    /// executed (the convention of `dopamine-nets`' `cost` module: a
    /// multiply-add is 2, any other operation 1).
    pub eligibility_flops: u64,
    /// Noise values generated (`N` per step).
    pub noise_values: u64,
}

/// What [`crate::Dopamine3::record`] did with a step.
#[must_use = "a step may be rejected, and an update may be due"]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recorded<T> {
    /// The step's dopamine signal `D(t)`; `None` when the losses were not
    /// finite and the step gives no credit.
    pub signal: Option<T>,
    /// The update interval is complete: call [`crate::Dopamine3::update`] before
    /// the next step.
    pub update_due: bool,
}

/// The outcome of an update.
#[must_use = "an update may be refused"]
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum NodeUpdate<T> {
    /// The weights moved, with this learning rate (the schedule applied),
    /// after an interval of `steps` steps.
    Applied {
        /// The learning rate used.
        eta: T,
        /// Steps in the interval.
        steps: u64,
    },
    /// The update was refused; nothing was written.
    Rejected {
        /// Why.
        reason: UpdateRejection,
        /// Steps in the interval.
        steps: u64,
    },
}

/// The buffers of an open step: the noise to add and the presynaptic
/// activity to fill in.
#[derive(Debug)]
pub struct StepBuffers<'a, T> {
    /// `xi(t)`, `N` values (already times `sigma`), layer after layer:
    /// copy A adds it to its pre-activations, copy B adds
    /// `NoiseMode::copy_b_factor` times it.
    pub noise: &'a [T],
    /// `x(t)`, `J` values, layer after layer (biases excluded): the
    /// caller writes each layer's presynaptic activity here
    /// ([`crate::NoiseMode::presynaptic`] of the two copies') before
    /// [`crate::Dopamine3::record`].
    pub presynaptic: &'a mut [T],
}
