//! [`OnlineGradient`]: SGD or Adam online on a sequence — truncated BPTT with an update every `C` time steps, the hidden state carried over block boundaries ([`crate::SpecOptions::online_every`]), the gradient baselines' counterpart of Dopamine-3's online updates.
//!
//! A step is one block: the gradient of the block's share of the
//! sequence's loss through the block only, from the hidden state the
//! previous block left, then the method's update; the next block runs at
//! the new weights. A pass over the sequence is one forward and one
//! backward pass, charged to the step that ends it (the blocks before it
//! report none), as Dopamine-3 charges its sweeps. The position and the
//! hidden state are part of the saved state, so a run checkpointed
//! mid-sequence resumes bit for bit. A block whose loss or gradient is not
//! finite is rolled back as a whole-sequence step is (and the rate
//! halved), and the next block starts the sequence again from `h = 0`.

use serde::{Deserialize, Serialize};

use crate::error::{CheckpointError, SpecError, TrainError};
use crate::float::Float;
use crate::objective::Objective;
use crate::optimizer::{Optimizer, StepInfo};
use crate::optimizers::gradient::{GradientDescent, GradientRule};
use crate::registry::StateViews;
use crate::sequence::SequenceStream;
use crate::state::{decode_state, encode_state};

/// A gradient method with an update every `every` time steps of an
/// objective's training sequence (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnlineGradient<T, G> {
    inner: GradientDescent<T, G>,
    every: u32,
    stream: SequenceStream<T>,
    last_loss: f64,
}

impl<T: Float, G: GradientRule<T>> OnlineGradient<T, G> {
    /// `inner` with an update every `every` time steps.
    ///
    /// # Errors
    /// [`TrainError::Spec`] for `every = 0`.
    pub fn new(inner: GradientDescent<T, G>, every: u32) -> Result<Self, TrainError> {
        if every == 0 {
            return Err(SpecError::new("online_every", "the block must be at least 1 step").into());
        }
        Ok(Self {
            inner,
            every,
            stream: SequenceStream::default(),
            last_loss: f64::NAN,
        })
    }

    /// The time steps between two updates.
    pub fn every(&self) -> u32 {
        self.every
    }

    /// Where the run is in the sequence.
    pub fn stream(&self) -> &SequenceStream<T> {
        &self.stream
    }
}

impl<T: Float, G: GradientRule<T> + Clone + Sync + 'static> Optimizer<T> for OnlineGradient<T, G> {
    fn name(&self) -> &str {
        G::NAME
    }

    fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// Checks that the objective has a training sequence to cut into blocks.
    ///
    /// # Errors
    /// [`TrainError::Spec`] (field `online_every`) for an objective without
    /// one (an MLP on a batch, a loss closure).
    fn prepare(&mut self, objective: &mut dyn Objective<T>) -> Result<(), TrainError> {
        if objective.sequence_len().is_none() {
            return Err(SpecError::new(
                "online_every",
                "updates every C time steps need an objective with a training sequence \
                 (the RNN objective)",
            )
            .into());
        }
        Ok(())
    }

    /// One block of at most `every` steps (see the module docs).
    fn step(&mut self, objective: &mut dyn Objective<T>) -> Result<StepInfo, TrainError> {
        self.prepare(objective)?;
        let block = objective
            .block_loss_and_gradient(&mut self.stream, self.every as usize, self.inner.grad_mut())
            .ok_or(TrainError::NoGradient)??;
        if let Some(loss) = block.loss {
            self.last_loss = loss;
        }
        let passes = u64::from(block.ended);
        let info = StepInfo {
            loss: self.last_loss,
            forward_passes: passes,
            backward_passes: passes,
            ..Default::default()
        };
        let info = self.inner.apply(objective, block.share, info)?;
        if info.rejected {
            self.stream.position = 0;
        }
        Ok(info)
    }

    fn current_rate(&self) -> f64 {
        self.inner.current_rate()
    }

    fn save_state(&self) -> Result<Vec<u8>, CheckpointError> {
        encode_state(self)
    }

    fn load_state(&mut self, state: &[u8]) -> Result<(), CheckpointError> {
        let restored: Self = decode_state(state)?;
        if restored.inner.dim() != self.inner.dim() {
            return Err(CheckpointError::Invalid(format!(
                "an online {} state for {} parameters, not {}",
                G::NAME,
                restored.inner.dim(),
                self.inner.dim()
            )));
        }
        // The inner state's lengths are checked by its own loader.
        let mut inner = self.inner.clone();
        inner.load(&encode_state(&restored.inner)?)?;
        *self = restored;
        Ok(())
    }
}

/// No views beyond the learning rate, as for the whole-sequence methods.
impl<T, G> StateViews<T> for OnlineGradient<T, G> {}
